import Logging
import NIOHTTP1

/// Routes a request to its handler by method and path. Patterns are paths whose `:name`
/// segments capture one segment each (`/runs/:id/events`); a path no pattern matches for the
/// method is a 404, as is a GET route asked with another method. HEAD is answered by the GET
/// route (the connection handler sends the head only).
public struct Router: Sendable {
  public typealias Handler = @Sendable (Request, RouteParameters) async throws -> Response

  struct Route: Sendable {
    var method: HTTPMethod
    var segments: [Substring]
    var handler: Handler
  }

  private(set) var routes: [Route] = []

  public init() {}

  public mutating func get(_ pattern: String, _ handler: @escaping Handler) {
    add(.GET, pattern, handler)
  }

  public mutating func post(_ pattern: String, _ handler: @escaping Handler) {
    add(.POST, pattern, handler)
  }

  public mutating func add(_ method: HTTPMethod, _ pattern: String, _ handler: @escaping Handler) {
    routes.append(Route(method: method, segments: Self.segments(pattern), handler: handler))
  }

  /// The route's answer; an `HTTPError` becomes its status and message, any other error a 500
  /// (logged, never shown: it may name files or SQL).
  public func respond(to request: Request, logger: Logger) async -> Response {
    let method = request.method == .HEAD ? .GET : request.method
    let path = Self.segments(request.path)
    for route in routes where route.method == method {
      guard let parameters = Self.match(route.segments, path) else { continue }
      do {
        return try await route.handler(request, parameters)
      } catch let error as HTTPError {
        return error.response
      } catch {
        logger.error("\(request.method) \(request.path) failed: \(error)")
        return HTTPError(.internalServerError, message: "Internal error: see the server's log.")
          .response
      }
    }
    return HTTPError(.notFound, message: "Not found.").response
  }

  static func segments(_ path: String) -> [Substring] {
    path.split(separator: "/", omittingEmptySubsequences: true)
  }

  static func match(_ pattern: [Substring], _ path: [Substring]) -> RouteParameters? {
    guard pattern.count == path.count else { return nil }
    var captured: [String: String] = [:]
    for (p, s) in zip(pattern, path) {
      if p.hasPrefix(":") {
        captured[String(p.dropFirst())] = String(s)
      } else if p != s {
        return nil
      }
    }
    return RouteParameters(values: captured)
  }
}

/// The segments a route's `:name` parts captured, as sent (not percent-decoded).
public struct RouteParameters: Sendable {
  var values: [String: String]

  public subscript(_ name: String) -> String? { values[name] }

  /// The parameter as a decimal 64-bit integer; nil when absent or anything else (`-0x1`, `..`).
  public func int64(_ name: String) -> Int64? { values[name].flatMap { Int64($0) } }
}
