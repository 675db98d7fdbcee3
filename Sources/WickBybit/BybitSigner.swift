import Foundation
import WickLive

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
    RequestSigning.hmacSHA256Hex(message, secret: secret)
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
}
