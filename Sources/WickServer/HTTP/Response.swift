import NIOCore
import NIOHTTP1

/// One HTTP response: a status, headers and either the whole body or a writer that streams it
/// (server-sent events). The connection handler adds the framing headers (Content-Length or
/// chunked, Connection, Date, Server).
public struct Response: Sendable {
  public enum Body: Sendable {
    case bytes(ByteBuffer)
    /// Written chunk by chunk until the closure returns; it is cancelled when the client goes
    /// away or the server stops.
    case stream(@Sendable (ResponseBodyWriter) async throws -> Void)
  }

  public var status: HTTPResponseStatus
  public var headers: HTTPHeaders
  public var body: Body

  public init(status: HTTPResponseStatus, headers: HTTPHeaders = [:], body: Body = .bytes(.init()))
  {
    self.status = status
    self.headers = headers
    self.body = body
  }

  public init(status: HTTPResponseStatus, headers: HTTPHeaders = [:], text: String) {
    self.init(status: status, headers: headers, body: .bytes(ByteBuffer(string: text)))
  }

  /// A streamed answer: `write` sends each chunk as the closure makes it.
  public init(
    status: HTTPResponseStatus, headers: HTTPHeaders = [:],
    stream: @escaping @Sendable (ResponseBodyWriter) async throws -> Void
  ) {
    self.init(status: status, headers: headers, body: .stream(stream))
  }

  public mutating func setCookie(_ cookie: Cookie) {
    headers.add(name: "Set-Cookie", value: cookie.headerValue)
  }
}

/// Sends a streamed body's chunks, each flushed to the client as it is written; throws once the
/// client has gone. A chunk the client has not taken within `stallTimeout` (it stopped reading,
/// and the socket's buffers are full) closes the connection: a stream may not be held open by a
/// reader that never reads.
public struct ResponseBodyWriter: Sendable {
  let channel: any Channel
  let stallTimeout: Duration

  public func write(_ buffer: ByteBuffer) async throws {
    let written = channel.eventLoop.makePromise(of: Void.self)
    let (channel, stallTimeout) = (channel, stallTimeout)
    // On the event loop, so that the clock starts once the chunk went to the socket and stops
    // the moment it is taken (a loaded machine's late task cannot cut a healthy stream).
    channel.eventLoop.execute {
      channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(buffer)), promise: written)
      let cutoff = channel.eventLoop.scheduleTask(in: TimeAmount(stallTimeout)) {
        channel.close(promise: nil)
      }
      written.futureResult.whenComplete { _ in cutoff.cancel() }
    }
    try await written.futureResult.get()
  }
}

/// A Set-Cookie value: `name=value; Max-Age=0; Path=/; HttpOnly; SameSite=Strict`.
public struct Cookie: Sendable, Equatable {
  public enum SameSite: String, Sendable {
    case strict = "Strict"
    case lax = "Lax"
  }

  public var name: String
  public var value: String
  public var maxAge: Int?
  public var path: String?
  public var httpOnly: Bool
  public var sameSite: SameSite?

  public init(
    name: String, value: String, maxAge: Int? = nil, path: String? = nil, httpOnly: Bool = false,
    sameSite: SameSite? = nil
  ) {
    self.name = name
    self.value = value
    self.maxAge = maxAge
    self.path = path
    self.httpOnly = httpOnly
    self.sameSite = sameSite
  }

  public var headerValue: String {
    var out = "\(name)=\(value)"
    if let maxAge { out += "; Max-Age=\(maxAge)" }
    if let path { out += "; Path=\(path)" }
    if httpOnly { out += "; HttpOnly" }
    if let sameSite { out += "; SameSite=\(sameSite.rawValue)" }
    return out
  }
}

/// A route's refusal with a status of its own (anything else a route throws is a 500).
public struct HTTPError: Error, Sendable {
  public var status: HTTPResponseStatus
  public var message: String

  public init(_ status: HTTPResponseStatus, message: String) {
    self.status = status
    self.message = message
  }

  /// The refusal as a short plain-text answer.
  public var response: Response {
    Response(
      status: status, headers: ["Content-Type": "text/plain; charset=utf-8"], text: message + "\n")
  }
}
