#ifndef SPIGLASS_CPCAP_SHIM_H
#define SPIGLASS_CPCAP_SHIM_H
/* fopencookie (a stdio stream over zlib, for gzip'd captures) is a GNU extension. */
#define _GNU_SOURCE 1
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <zlib.h>
#endif
