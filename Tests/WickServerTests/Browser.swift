import Foundation
import NIOHTTP1

/// A browser's part in the route tests: keeps the session cookie it was given, reads the CSRF
/// token out of the page, posts forms.
final class Browser: @unchecked Sendable {
  let client: LoopbackClient
  var cookie: String?
  var lastSetCookie: String?

  init(_ client: LoopbackClient) { self.client = client }

  struct Page {
    var status: HTTPResponseStatus
    var body: String
    var headers: HTTPHeaders
  }

  @discardableResult
  func get(_ uri: String, headers extra: HTTPHeaders = [:]) async throws -> Page {
    var headers = extra
    if let cookie { headers.replaceOrAdd(name: "Cookie", value: cookie) }
    return page(try await client.execute(uri: uri, method: .GET, headers: headers))
  }

  @discardableResult
  func post(
    _ uri: String, _ form: [(String, String)], headers extra: HTTPHeaders = [:], json: Bool = true
  )
    async throws -> Page
  {
    var headers = extra
    headers.replaceOrAdd(name: "Content-Type", value: "application/x-www-form-urlencoded")
    if json { headers.replaceOrAdd(name: "Accept", value: "application/json") }
    if let cookie { headers.replaceOrAdd(name: "Cookie", value: cookie) }
    let body = form.map {
      "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")"
    }.joined(separator: "&")
    return page(
      try await client.execute(uri: uri, method: .POST, headers: headers, body: Array(body.utf8)))
  }

  private func page(_ r: LoopbackClient.Response) -> Page {
    remember(r.headers)
    return Page(status: r.status, body: r.text, headers: r.headers)
  }

  private func remember(_ headers: HTTPHeaders) {
    guard let set = headers.first(name: "Set-Cookie") else { return }
    lastSetCookie = set
    let pair = String(set.split(separator: ";")[0])
    cookie = pair.hasSuffix("=") ? nil : pair
  }

  /// The CSRF token of the last page's forms.
  static func csrf(_ html: String) -> String? {
    guard let r = html.range(of: "name=\"csrf\" value=\"") else { return nil }
    return String(html[r.upperBound...].prefix { $0 != "\"" })
  }
}
