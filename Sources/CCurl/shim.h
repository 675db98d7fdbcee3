// libcurl's curl_easy_setopt and curl_easy_getinfo are variadic, which Swift cannot call:
// these typed wrappers are the only way Swift reaches them.
#ifndef WICK_CCURL_SHIM_H
#define WICK_CCURL_SHIM_H
#include <curl/curl.h>

typedef size_t (*wick_curl_write_fn)(char *ptr, size_t size, size_t nmemb, void *userdata);

static inline CURLcode wick_curl_setopt_long(CURL *h, CURLoption o, long v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode wick_curl_setopt_string(CURL *h, CURLoption o, const char *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode wick_curl_setopt_pointer(CURL *h, CURLoption o, void *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode wick_curl_setopt_write(CURL *h, CURLoption o, wick_curl_write_fn f) { return curl_easy_setopt(h, o, f); }
static inline CURLcode wick_curl_getinfo_long(CURL *h, CURLINFO i, long *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode wick_curl_getinfo_double(CURL *h, CURLINFO i, double *v) { return curl_easy_getinfo(h, i, v); }
#endif
