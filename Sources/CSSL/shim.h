// The system's OpenSSL 3 libssl (libssl-dev), for TLS in the dashboard's HTTPS server and the
// exchanges' wss:// streams: swift-nio-ssl compiled its own BoringSSL into every build, the
// largest single cost of a first build. OpenSSL's API is partly macros over SSL_ctrl and
// BIO_ctrl, which Swift cannot call: these typed wrappers are the only way Swift reaches them.
#ifndef WICK_CSSL_SHIM_H
#define WICK_CSSL_SHIM_H
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

static inline int wick_ssl_set_sni(SSL *ssl, const char *host) { return (int)SSL_set_tlsext_host_name(ssl, host); }
static inline int wick_ssl_ctx_set_min_tls12(SSL_CTX *ctx) { return (int)SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION); }
static inline long wick_ssl_ctx_set_modes(SSL_CTX *ctx) {
  // A write is all or nothing (the memory BIO never pushes back), buffers are freed when idle.
  return SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
}
static inline size_t wick_bio_pending(BIO *b) { return BIO_ctrl_pending(b); }
// An empty memory BIO means "no bytes yet, retry", never end of file.
static inline void wick_bio_mem_retry_when_empty(BIO *b) { (void)BIO_set_mem_eof_return(b, -1); }
#endif
