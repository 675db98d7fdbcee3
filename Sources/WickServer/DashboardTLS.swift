import Foundation
import HummingbirdCore
import Logging
import NIOCore
import WickCore
import WickNet

/// `wick serve --tls-cert FILE --tls-key FILE`: the server's certificate chain and key (PEM),
/// served through the system's OpenSSL.
public enum DashboardTLS {
  /// Reads and checks both files now, so that a bad one stops `wick serve` before it listens,
  /// with the flag and the file named.
  public static func configuration(certificate: String, key: String) throws -> TLSContext {
    do {
      return try TLSContext.server(certificateFile: certificate, keyFile: key)
    } catch TLSError
      .file(let path, let problem)
    {
      let flag = path == certificate ? "--tls-cert" : "--tls-key"
      throw WickError.invalidArgument("\(flag) \(path): \(problem)")
    }
  }
}

extension HTTPServerBuilder {
  /// HTTP/1.1 inside TLS: each accepted connection gets the TLS handler in front of Hummingbird's
  /// HTTP/1 pipeline.
  static func https(_ configuration: HTTP1Channel.Configuration, tls: TLSContext)
    -> HTTPServerBuilder
  {
    .init { responder in
      TLSServerChannel(
        base: HTTP1Channel(responder: responder, configuration: configuration), tls: tls)
    }
  }
}

/// A child channel of `Base` with TLS added in front of it.
struct TLSServerChannel<Base: ServerChildChannel>: ServerChildChannel {
  typealias Value = Base.Value
  let base: Base
  let tls: TLSContext

  func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
    channel.eventLoop.makeCompletedFuture {
      try channel.pipeline.syncOperations.addHandler(TLSHandler(context: tls))
    }.flatMap { base.setup(channel: channel, logger: logger) }
  }

  func handle(value: Value, logger: Logger) async {
    await base.handle(value: value, logger: logger)
  }
}

extension TLSServerChannel: HTTPChannelHandler where Base: HTTPChannelHandler {
  var responder: HTTPChannelHandler.Responder { base.responder }
}
