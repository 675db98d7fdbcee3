import CCrypto
import Foundation

/// The request signature every exchange adapter uses: lowercase hex of HMAC-SHA256 with the API
/// secret. What is signed (Bybit's `timestamp + key + recvWindow + payload`, Binance's exact query
/// string) is the adapter's business; the MAC and its encoding are written once here.
///
///     RequestSigning.hmacSHA256Hex("symbol=BTCUSDT&timestamp=1", secret: "s")
public enum RequestSigning {
  public static func hmacSHA256Hex(_ message: String, secret: String) -> String {
    hex(hmacSHA256(Array(message.utf8), key: Array(secret.utf8)))
  }

  /// The 32-byte HMAC-SHA256 of `message` (OpenSSL's one-shot `HMAC`).
  public static func hmacSHA256(_ message: [UInt8], key: [UInt8]) -> [UInt8] {
    var mac = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
    var length: UInt32 = 0
    // Cannot fail for SHA-256 with an in-memory key; a nil here would be a broken libcrypto.
    let done = HMAC(EVP_sha256(), key, Int32(key.count), message, message.count, &mac, &length)
    precondition(done != nil && length == 32, "libcrypto's HMAC-SHA256 failed")
    return Array(mac.prefix(Int(length)))
  }

  private static let digits = Array("0123456789abcdef".utf8)

  public static func hex<D: Sequence>(_ bytes: D) -> String where D.Element == UInt8 {
    var out: [UInt8] = []
    out.reserveCapacity(64)
    for b in bytes {
      out.append(digits[Int(b >> 4)])
      out.append(digits[Int(b & 0xF)])
    }
    return String(decoding: out, as: UTF8.self)
  }
}
