// The system's OpenSSL libcrypto (libssl-dev), for HMAC-SHA256 request signatures and the mock
// WebSocket handshake's SHA-1. libcurl already links it, so it adds nothing to the binary's
// dependencies, where swift-crypto compiled a second copy of BoringSSL into every build.
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
