import Crypto
import Foundation

/// The request signature every exchange adapter uses: lowercase hex of HMAC-SHA256 with the API
/// secret. What is signed (Bybit's `timestamp + key + recvWindow + payload`, Binance's exact query
/// string) is the adapter's business; the MAC and its encoding are written once here.
///
///     RequestSigning.hmacSHA256Hex("symbol=BTCUSDT&timestamp=1", secret: "s")
public enum RequestSigning {
  public static func hmacSHA256Hex(_ message: String, secret: String) -> String {
    let key = SymmetricKey(data: Data(secret.utf8))
    let mac = HMAC<SHA256>.authenticationCode(for: Data(message.utf8), using: key)
    return mac.withUnsafeBytes { hex($0) }
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
