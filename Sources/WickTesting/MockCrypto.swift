import CCrypto

/// The mocks' own digests, straight from libcrypto rather than through the client's
/// `RequestSigning`, so a mock checks a signature independently of the code under test.
enum MockCrypto {
  static func hmacSHA256Hex(_ message: String, secret: String) -> String {
    var mac = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
    var length: UInt32 = 0
    let key = Array(secret.utf8)
    let data = Array(message.utf8)
    _ = HMAC(EVP_sha256(), key, Int32(key.count), data, data.count, &mac, &length)
    return mac.prefix(Int(length)).map { String(format: "%02x", $0) }.joined()
  }

  static func sha1(_ data: [UInt8]) -> [UInt8] {
    var digest = [UInt8](repeating: 0, count: Int(SHA_DIGEST_LENGTH))
    _ = SHA1(data, data.count, &digest)
    return digest
  }
}
