import Foundation
import NIOCore
import NIOHTTP1

/// One HTTP request as a route sees it: the head, the whole body (the connection handler has
/// already held it to the size and time limits) and the peer's address.
public struct Request: Sendable {
  public var head: HTTPRequestHead
  public var body: ByteBuffer
  /// The peer's IP address ("unknown" when the channel has none); login throttling counts
  /// failures by it.
  public var client: String

  public init(head: HTTPRequestHead, body: ByteBuffer = ByteBuffer(), client: String = "unknown") {
    self.head = head
    self.body = body
    self.client = client
  }

  public var method: HTTPMethod { head.method }
  public var headers: HTTPHeaders { head.headers }

  /// The target's path as sent, percent-escapes and all (no normalisation: `/assets/../x` is
  /// not `/x`, and a route parameter must parse as written).
  public var path: String {
    String(head.uri.prefix { $0 != "?" && $0 != "#" })
  }

  /// The query's parameters, decoded like a form.
  public var query: [String: String] {
    guard let mark = head.uri.firstIndex(of: "?") else { return [:] }
    let text = head.uri[head.uri.index(after: mark)...].prefix { $0 != "#" }
    return FormDecoding.pairs(String(text))
  }

  /// The first value of the header `name` (case-insensitive).
  public func header(_ name: String) -> String? { headers.first(name: name) }

  /// The Host header: what the browser believes this server is called.
  public var authority: String? { header("Host") }

  /// The value of the cookie `name` from the Cookie headers, if the browser sent it.
  public func cookie(_ name: String) -> String? {
    Self.cookie(name, in: headers["Cookie"])
  }

  /// The value of cookie `name` in Cookie header values (`a=1; b=2`); the first one wins.
  static func cookie(_ name: String, in values: [String]) -> String? {
    for value in values {
      for pair in value.split(separator: ";") {
        let kv = pair.drop { $0 == " " || $0 == "\t" }
        guard let equals = kv.firstIndex(of: "=") else { continue }
        if kv[..<equals] == name { return String(kv[kv.index(after: equals)...]) }
      }
    }
    return nil
  }
}

/// `application/x-www-form-urlencoded` text (a POST's form, a query) as name → value: `+` is a
/// space, percent-escapes are decoded (a malformed one makes the value empty), the last of a
/// repeated name wins.
enum FormDecoding {
  static func pairs(_ text: String) -> [String: String] {
    var out: [String: String] = [:]
    for pair in text.split(separator: "&") {
      let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
      out[decode(kv[0])] = kv.count > 1 ? decode(kv[1]) : ""
    }
    return out
  }

  static func decode(_ s: Substring) -> String {
    String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
  }
}
