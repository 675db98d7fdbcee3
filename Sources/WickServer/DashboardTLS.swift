import Foundation
import HummingbirdTLS
import NIOSSL
import WickCore

/// `wick serve --tls-cert FILE --tls-key FILE`: the server's certificate chain and key (PEM).
public enum DashboardTLS {
  public static func configuration(certificate: String, key: String) throws -> TLSConfiguration {
    for (flag, path) in [("--tls-cert", certificate), ("--tls-key", key)]
    where !FileManager.default.isReadableFile(atPath: path) {
      throw WickError.invalidArgument("\(flag) \(path): cannot read the file")
    }
    let chain: [NIOSSLCertificate]
    do { chain = try NIOSSLCertificate.fromPEMFile(certificate) } catch {
      throw WickError.invalidArgument(
        "--tls-cert \(certificate): not a PEM certificate (\(error))")
    }
    guard !chain.isEmpty else {
      throw WickError.invalidArgument("--tls-cert \(certificate): no certificate in the file")
    }
    let privateKey: NIOSSLPrivateKey
    do { privateKey = try NIOSSLPrivateKey(file: key, format: .pem) } catch {
      throw WickError.invalidArgument("--tls-key \(key): not a PEM private key (\(error))")
    }
    var config = TLSConfiguration.makeServerConfiguration(
      certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(privateKey))
    config.minimumTLSVersion = .tlsv12
    return config
  }
}
