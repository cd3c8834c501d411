#ifndef SPIGLASS_CPCAP_SHIM_H
#define SPIGLASS_CPCAP_SHIM_H
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdio_ext.h>
#endif
