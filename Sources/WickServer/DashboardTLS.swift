import Foundation
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
