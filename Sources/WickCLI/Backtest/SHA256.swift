import CCrypto
import Foundation
import WickCore
import WickLive

/// SHA-256 through the system's libcrypto (linked already for request signing), as lowercase
/// hex: what a backtest records for its script, plugins and config file.
///
///     SHA256.hex(Array("abc".utf8))  // "ba7816bf…"
enum SHA256 {
  static func hex(_ bytes: [UInt8]) -> String {
    var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
    var length: UInt32 = 0
    let ok = bytes.withUnsafeBufferPointer {
      EVP_Digest($0.baseAddress, $0.count, &digest, &length, EVP_sha256(), nil)
    }
    precondition(ok == 1, "EVP_Digest(SHA-256) failed")
    return RequestSigning.hex(digest.prefix(Int(length)))
  }

  static func hex(_ text: String) -> String { hex(Array(text.utf8)) }

  /// The file's SHA-256; a clear error naming it when it cannot be read.
  static func hex(file path: String) throws -> String {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw WickError.invalidFile(path: path, line: nil, reason: "cannot read it to hash it")
    }
    return hex([UInt8](data))
  }
}
