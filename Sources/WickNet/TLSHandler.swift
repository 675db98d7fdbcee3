import CSSL
import NIOCore

#if canImport(Glibc)
  import Glibc
#endif

/// TLS on a NIO channel through the system's OpenSSL: ciphertext from the socket goes into one
/// memory BIO, OpenSSL's records come out of another, and the handlers after this one see plain
/// bytes. Writes made before the handshake finishes wait for it. Failures (an untrusted
/// certificate, a wrong host name, a peer that is not speaking TLS, a bad record) reach the
/// pipeline as a `TLSError` and close the connection; `close` sends close_notify first.
///
///     try channel.pipeline.syncOperations.addHandler(
///       try TLSHandler(context: .client(), serverHostname: "stream.bybit.com"))
public final class TLSHandler: ChannelDuplexHandler, RemovableChannelHandler {
  public typealias InboundIn = ByteBuffer
  public typealias InboundOut = ByteBuffer
  public typealias OutboundIn = ByteBuffer
  public typealias OutboundOut = ByteBuffer

  private enum State { case idle, handshaking, open, closed }

  private let context: TLSContext
  private let ssl: OpaquePointer
  /// Network → OpenSSL (ciphertext received) and OpenSSL → network (ciphertext to send).
  private let networkIn: OpaquePointer
  private let networkOut: OpaquePointer
  private var state = State.idle
  private var waitingWrites: [(ByteBuffer, EventLoopPromise<Void>?)] = []
  private var flushWaiting = false

  /// `serverHostname` (clients only): sent as SNI and checked against the certificate; an IP
  /// address is checked against the certificate's IP entries instead (and not sent as SNI).
  public init(context: TLSContext, serverHostname: String? = nil) throws {
    ERR_clear_error()
    guard let ssl = SSL_new(context.ctx), let rbio = BIO_new(BIO_s_mem()),
      let wbio = BIO_new(BIO_s_mem())
    else { throw TLSError.handshakeFailed(reason: TLSError.drainOpenSSLErrors()) }
    wick_bio_mem_retry_when_empty(rbio)
    wick_bio_mem_retry_when_empty(wbio)
    SSL_set_bio(ssl, rbio, wbio)  // the SSL owns both BIOs from here
    self.context = context
    self.ssl = ssl
    networkIn = rbio
    networkOut = wbio
    switch context.role {
    case .server:
      SSL_set_accept_state(ssl)
    case .client:
      SSL_set_connect_state(ssl)
      if let host = serverHostname {
        let ok: Bool
        if Self.isIPAddress(host) {
          ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host) == 1
        } else {
          SSL_set_hostflags(ssl, UInt32(X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS))
          ok = wick_ssl_set_sni(ssl, host) == 1 && SSL_set1_host(ssl, host) == 1
        }
        guard ok else {
          // deinit frees the SSL: every property is set by now.
          throw TLSError.handshakeFailed(reason: "cannot verify the host name \(host)")
        }
      }
    }
  }

  deinit { SSL_free(ssl) }

  static func isIPAddress(_ host: String) -> Bool {
    var v4 = in_addr()
    var v6 = in6_addr()
    return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
  }

  // MARK: Lifecycle

  public func handlerAdded(context: ChannelHandlerContext) {
    if context.channel.isActive { startHandshake(context: context) }
  }

  public func channelActive(context: ChannelHandlerContext) {
    startHandshake(context: context)
    context.fireChannelActive()
  }

  public func channelInactive(context: ChannelHandlerContext) {
    let wasHandshaking = state == .idle || state == .handshaking
    state = .closed
    failWaitingWrites(ChannelError.ioOnClosedChannel)
    if wasHandshaking { context.fireErrorCaught(TLSError.closedDuringHandshake) }
    context.fireChannelInactive()
  }

  private func startHandshake(context: ChannelHandlerContext) {
    guard state == .idle else { return }
    state = .handshaking
    handshake(context: context)
  }

  private func handshake(context: ChannelHandlerContext) {
    ERR_clear_error()
    let rc = SSL_do_handshake(ssl)
    if rc == 1 {
      state = .open
      sendNetworkOutput(context: context, promise: nil, flush: true)
      let writes = waitingWrites
      waitingWrites = []
      for (buffer, promise) in writes { encrypt(buffer, context: context, promise: promise) }
      if flushWaiting || !writes.isEmpty { context.flush() }
      flushWaiting = false
      return
    }
    switch SSL_get_error(ssl, rc) {
    case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
      sendNetworkOutput(context: context, promise: nil, flush: true)
    default:
      fail(context: context, error: handshakeError())
    }
  }

  /// The refused certificate's reason when verification failed, else OpenSSL's error queue.
  private func handshakeError() -> TLSError {
    let verify = SSL_get_verify_result(ssl)
    if verify != X509_V_OK {
      ERR_clear_error()
      return .certificateRejected(reason: String(cString: X509_verify_cert_error_string(verify)))
    }
    return .handshakeFailed(reason: TLSError.drainOpenSSLErrors())
  }

  /// A fatal error: the alert OpenSSL wrote goes out, then the connection closes.
  private func fail(context: ChannelHandlerContext, error: TLSError) {
    guard state != .closed else { return }
    state = .closed
    sendNetworkOutput(context: context, promise: nil, flush: true)
    failWaitingWrites(error)
    context.fireErrorCaught(error)
    context.close(promise: nil)
  }

  private func failWaitingWrites(_ error: any Error) {
    let writes = waitingWrites
    waitingWrites = []
    for (_, promise) in writes { promise?.fail(error) }
  }

  // MARK: Inbound

  public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    let buffer = unwrapInboundIn(data)
    guard state != .closed, buffer.readableBytes > 0 else { return }
    buffer.withUnsafeReadableBytes { bytes in
      // A memory BIO grows to take everything: the write is never partial.
      _ = BIO_write(networkIn, bytes.baseAddress, Int32(bytes.count))
    }
    if state == .handshaking { handshake(context: context) }
    if state == .open { readPlaintext(context: context) }
  }

  private func readPlaintext(context: ChannelHandlerContext) {
    while state == .open {
      ERR_clear_error()
      var rc: Int32 = 0
      var plain = context.channel.allocator.buffer(capacity: 16 * 1024)
      plain.writeWithUnsafeMutableBytes(minimumWritableBytes: 16 * 1024) { space in
        rc = SSL_read(ssl, space.baseAddress, Int32(min(space.count, Int(Int32.max))))
        return max(0, Int(rc))
      }
      if rc > 0 {
        context.fireChannelRead(wrapInboundOut(plain))
        continue
      }
      switch SSL_get_error(ssl, rc) {
      case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
        // Records OpenSSL answers on its own (a key update) go out now.
        if wick_bio_pending(networkOut) > 0 {
          sendNetworkOutput(context: context, promise: nil, flush: true)
        }
        return
      case SSL_ERROR_ZERO_RETURN:
        // The peer's close_notify: answer it and close.
        close(context: context, mode: .all, promise: nil)
        return
      default:
        fail(context: context, error: .protocolError(reason: TLSError.drainOpenSSLErrors()))
        return
      }
    }
  }

  public func channelReadComplete(context: ChannelHandlerContext) {
    context.fireChannelReadComplete()
  }

  // MARK: Outbound

  public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?)
  {
    let buffer = unwrapOutboundIn(data)
    switch state {
    case .idle, .handshaking: waitingWrites.append((buffer, promise))
    case .open: encrypt(buffer, context: context, promise: promise)
    case .closed: promise?.fail(ChannelError.ioOnClosedChannel)
    }
  }

  public func flush(context: ChannelHandlerContext) {
    switch state {
    case .idle, .handshaking: flushWaiting = true
    case .open, .closed: context.flush()
    }
  }

  public func close(
    context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?
  ) {
    if state == .open, mode != .input {
      state = .closed
      ERR_clear_error()
      _ = SSL_shutdown(ssl)  // queues close_notify; the peer's answer is not awaited
      sendNetworkOutput(context: context, promise: nil, flush: true)
    }
    context.close(mode: mode, promise: promise)
  }

  private func encrypt(
    _ buffer: ByteBuffer, context: ChannelHandlerContext, promise: EventLoopPromise<Void>?
  ) {
    guard buffer.readableBytes > 0 else {
      context.write(wrapOutboundOut(buffer), promise: promise)
      return
    }
    ERR_clear_error()
    let rc = buffer.withUnsafeReadableBytes { bytes in
      SSL_write(ssl, bytes.baseAddress, Int32(bytes.count))
    }
    guard rc > 0 else {
      let error = TLSError.protocolError(reason: TLSError.drainOpenSSLErrors())
      promise?.fail(error)
      fail(context: context, error: error)
      return
    }
    sendNetworkOutput(context: context, promise: promise, flush: false)
  }

  /// Everything OpenSSL has written for the network, as one buffer.
  private func sendNetworkOutput(
    context: ChannelHandlerContext, promise: EventLoopPromise<Void>?, flush: Bool
  ) {
    let pending = wick_bio_pending(networkOut)
    guard pending > 0 else {
      promise?.succeed()
      return
    }
    var out = context.channel.allocator.buffer(capacity: pending)
    out.writeWithUnsafeMutableBytes(minimumWritableBytes: pending) { space in
      Int(max(0, BIO_read(networkOut, space.baseAddress, Int32(space.count))))
    }
    context.write(wrapOutboundOut(out), promise: promise)
    if flush { context.flush() }
  }
}
