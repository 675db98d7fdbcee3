import Crypto
import Foundation

/// Bybit v5 request signatures: hex HMAC-SHA256 with the API secret.
///
/// REST (header `X-BAPI-SIGN`): over `timestamp + apiKey + recvWindow + payload`, where the
/// payload is the query string of a GET (exactly as sent) or the raw JSON body of a POST.
/// Private WebSocket auth: over `"GET/realtime" + expires`.
///
///     let sign = BybitSigner.restSignature(
///       timestamp: 1658384314791, credentials: c, recvWindow: 5000, payload: "category=linear")
public enum BybitSigner {
  public static func hmacHex(_ message: String, secret: String) -> String {
    let key = SymmetricKey(data: Data(secret.utf8))
    let mac = HMAC<SHA256>.authenticationCode(for: Data(message.utf8), using: key)
    return hex(mac)
  }

  public static func restSignature(
    timestamp: Int64, credentials: BybitCredentials, recvWindow: Int, payload: String
  ) -> String {
    hmacHex(
      "\(timestamp)\(credentials.apiKey)\(recvWindow)\(payload)", secret: credentials.secret)
  }

  public static func webSocketSignature(expires: Int64, credentials: BybitCredentials) -> String {
    hmacHex("GET/realtime\(expires)", secret: credentials.secret)
  }

  private static let digits = Array("0123456789abcdef".utf8)

  static func hex<D: Sequence>(_ bytes: D) -> String where D.Element == UInt8 {
    var out: [UInt8] = []
    out.reserveCapacity(64)
    for b in bytes {
      out.append(digits[Int(b >> 4)])
      out.append(digits[Int(b & 0xF)])
    }
    return String(decoding: out, as: UTF8.self)
  }

  static func hex(_ mac: HMAC<SHA256>.MAC) -> String {
    mac.withUnsafeBytes { hex(Array($0)) }
  }
}
