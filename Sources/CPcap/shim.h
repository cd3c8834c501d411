#ifndef SPIGLASS_CPCAP_SHIM_H
#define SPIGLASS_CPCAP_SHIM_H
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <zlib.h>
/* fopencookie (a stdio stream over zlib, for gzip'd captures) is a GNU extension, declared by
   stdio.h only under _GNU_SOURCE. Defining that here would change how this module sees other
   glibc types (fd_set) from how Swift's Glibc module sees them, and clean builds then fail:
   so the type and the function are declared as glibc does, without it. */
#include <bits/types/cookie_io_functions_t.h>
extern FILE *fopencookie(void *__restrict cookie, const char *__restrict mode, cookie_io_functions_t io_funcs);
/* sync_file_range (Linux; the -w file's early writeback, see OutputWriteback.swift) is declared by
   fcntl.h only under _GNU_SOURCE too, for the same reason declared here as glibc does. */
#include <sys/types.h>
extern int sync_file_range(int __fd, __off64_t __offset, __off64_t __count, unsigned int __flags);
#ifndef SYNC_FILE_RANGE_WRITE
#define SYNC_FILE_RANGE_WAIT_BEFORE 1
#define SYNC_FILE_RANGE_WRITE 2
#define SYNC_FILE_RANGE_WAIT_AFTER 4
#endif
#endif
