import NIOHTTP1

/// What one connection may send and how long it may take about it; beyond a limit the request
/// is answered with its status (413, 431, 408) without the rest being read, or the connection is
/// closed.
public struct HTTPLimits: Sendable {
  /// A connection that completes no request head for this long (after connecting, or after its
  /// last answer: a half-sent head, an idle keep-alive), or pauses this long inside a body, is
  /// closed. A response being sent (a live stream) is left alone while the client reads it: a
  /// write of it that has not gone out after this long (a client that stopped reading) closes
  /// the connection.
  public var idleTimeout: Duration = .seconds(30)
  /// A request's whole body must arrive within this (a body dripped a byte at a time would
  /// otherwise keep the idle timeout from ever firing).
  public var bodyTimeout: Duration = .seconds(10)
  /// A larger body (by its Content-Length, or as it arrives when chunked) is answered 413.
  public var maxBodyBytes = 64 * 1024
  /// The request line and headers together, one header field, and how many fields: beyond any
  /// of them the answer is 431.
  public var maxHeaderBytes = 16 * 1024
  public var maxHeaderFieldBytes = 8 * 1024
  public var maxHeaderFields = 100
  /// After an early answer (413, 431, 408) the rest of what the client sends is read and dropped
  /// for at most this long (and at most `maxDiscardedBytes`), then the connection closes:
  /// closing at once, with its bytes unread, would reset the connection and could lose the
  /// answer before the client reads it.
  public var linger: Duration = .seconds(2)
  public var maxDiscardedBytes = 1024 * 1024
  /// Connections open at once; more are closed as soon as they are accepted (a browser opens a
  /// handful; thousands of idle ones would be someone holding the server's file descriptors).
  public var maxConnections = 512

  public init() {}

  var decoder: NIOHTTPDecoderLimitConfiguration {
    var c = NIOHTTPDecoderLimitConfiguration()
    c.maxHeaderListSize = maxHeaderBytes
    c.maxHeaderFieldSize = maxHeaderFieldBytes
    c.maxHeaderFieldCount = maxHeaderFields
    return c
  }
}
