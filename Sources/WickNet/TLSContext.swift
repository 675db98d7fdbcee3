import CSSL
import Foundation

/// What went wrong in TLS, worded for the person reading the log or the CLI's error line.
public enum TLSError: Error, Equatable, CustomStringConvertible {
  /// A certificate, key or CA file that cannot be used; `path` names it.
  case file(path: String, problem: String)
  /// The peer's certificate was refused: not signed by a trusted CA, expired, or made out to
  /// another host name. `reason` is OpenSSL's verification message.
  case certificateRejected(reason: String)
  /// The handshake failed for another reason (no common protocol, not TLS at all, an alert).
  case handshakeFailed(reason: String)
  /// The connection closed before the handshake finished.
  case closedDuringHandshake
  /// A record that does not decrypt or parse after the handshake.
  case protocolError(reason: String)

  public var description: String {
    switch self {
    case .file(let path, let problem): "\(path): \(problem)"
    case .certificateRejected(let reason): "TLS certificate refused: \(reason)"
    case .handshakeFailed(let reason): "TLS handshake failed: \(reason)"
    case .closedDuringHandshake: "the connection closed during the TLS handshake"
    case .protocolError(let reason): "TLS error: \(reason)"
    }
  }

  /// OpenSSL's queued errors on this thread, oldest first, as one line (and the queue emptied).
  static func drainOpenSSLErrors() -> String {
    var reasons: [String] = []
    while true {
      let code = ERR_get_error()
      if code == 0 { break }
      var text = [CChar](repeating: 0, count: 256)
      ERR_error_string_n(code, &text, text.count)
      reasons.append(
        String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }
    return reasons.isEmpty ? "unknown OpenSSL error" : reasons.joined(separator: "; ")
  }
}

/// One configured OpenSSL `SSL_CTX`: a server's certificate and key, or a client's trust store.
/// Made once (files read and checked up front), then shared by every connection: OpenSSL makes
/// each connection's `SSL` from it, which is safe from any thread.
public final class TLSContext: @unchecked Sendable {
  public enum Role: Sendable { case client, server }
  let ctx: OpaquePointer
  public let role: Role

  private init(role: Role) throws {
    guard let ctx = SSL_CTX_new(role == .client ? TLS_client_method() : TLS_server_method()) else {
      throw TLSError.handshakeFailed(reason: TLSError.drainOpenSSLErrors())
    }
    self.ctx = ctx
    self.role = role
    _ = wick_ssl_ctx_set_min_tls12(ctx)
    _ = wick_ssl_ctx_set_modes(ctx)
  }

  deinit { SSL_CTX_free(ctx) }

  /// A server presenting the PEM certificate chain in `certificateFile` (leaf first) with the
  /// PEM private key in `keyFile`. Every problem names its file: unreadable, not PEM, or a key
  /// that does not belong to the certificate.
  public static func server(certificateFile: String, keyFile: String) throws -> TLSContext {
    for path in [certificateFile, keyFile] where !FileManager.default.isReadableFile(atPath: path) {
      throw TLSError.file(path: path, problem: "cannot read the file")
    }
    let context = try TLSContext(role: .server)
    ERR_clear_error()
    guard SSL_CTX_use_certificate_chain_file(context.ctx, certificateFile) == 1 else {
      throw TLSError.file(
        path: certificateFile,
        problem: "not a PEM certificate (\(TLSError.drainOpenSSLErrors()))")
    }
    // The key alone first (a context with no certificate checks nothing against it): a file
    // that is not a key and a key of another certificate are different mistakes.
    let keyAlone = try TLSContext(role: .server)
    guard SSL_CTX_use_PrivateKey_file(keyAlone.ctx, keyFile, SSL_FILETYPE_PEM) == 1 else {
      throw TLSError.file(
        path: keyFile, problem: "not a PEM private key (\(TLSError.drainOpenSSLErrors()))")
    }
    guard SSL_CTX_use_PrivateKey_file(context.ctx, keyFile, SSL_FILETYPE_PEM) == 1,
      SSL_CTX_check_private_key(context.ctx) == 1
    else {
      ERR_clear_error()
      throw TLSError.file(
        path: keyFile, problem: "this key does not belong to the certificate in \(certificateFile)")
    }
    return context
  }

  /// A client that verifies the server: the system's CA store (`/etc/ssl/certs`, Debian's
  /// ca-certificates), plus the PEM CAs in `extraTrustedCAFile` if given (a self-signed
  /// certificate of one's own, or a test's). The host name is checked per connection.
  public static func client(extraTrustedCAFile: String? = nil) throws -> TLSContext {
    let context = try TLSContext(role: .client)
    SSL_CTX_set_verify(context.ctx, SSL_VERIFY_PEER, nil)
    ERR_clear_error()
    // No system store (no ca-certificates installed) leaves only the extra CA: not an error
    // here; a server whose certificate nothing vouches for is refused at the handshake.
    if SSL_CTX_set_default_verify_paths(context.ctx) != 1 { ERR_clear_error() }
    if let file = extraTrustedCAFile {
      guard FileManager.default.isReadableFile(atPath: file) else {
        throw TLSError.file(path: file, problem: "cannot read the file")
      }
      guard SSL_CTX_load_verify_locations(context.ctx, file, nil) == 1 else {
        throw TLSError.file(
          path: file, problem: "not a PEM CA certificate (\(TLSError.drainOpenSSLErrors()))")
      }
    }
    return context
  }

  /// The client context every wss:// connection without extra trust shares.
  public static let systemTrust = Result { try TLSContext.client() }
}
