import Foundation
import WickCore
import WickLive

/// A Bybit API key pair, read from the environment only (`WICK_BYBIT_API_KEY`,
/// `WICK_BYBIT_API_SECRET`). Its descriptions are redacted so that interpolating it into a log
/// line or an error cannot leak it; the secret is not even readable outside this module.
///
///     let credentials = try BybitCredentials.fromEnvironment()
///     print(credentials)   // BybitCredentials(redacted)
public struct BybitCredentials: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
  public static let keyVariable = "WICK_BYBIT_API_KEY"
  public static let secretVariable = "WICK_BYBIT_API_SECRET"

  public let apiKey: String
  let secret: String

  public init(apiKey: String, secret: String) {
    self.apiKey = apiKey
    self.secret = secret
  }

  /// Both variables must be set and non-empty; the error names the missing variable, never a value.
  public static func fromEnvironment(
    _ environment: [String: String] = ProcessInfo.processInfo.environment
  ) throws -> BybitCredentials {
    func value(_ name: String) throws -> String {
      guard let v = environment[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !v.isEmpty
      else {
        throw WickError.invalidArgument(
          "live trading needs \(keyVariable) and \(secretVariable) in the environment (\(name) is not set)"
        )
      }
      return v
    }
    return BybitCredentials(apiKey: try value(keyVariable), secret: try value(secretVariable))
  }

  public var description: String { "BybitCredentials(redacted)" }
  public var debugDescription: String { description }

  /// `text` with every occurrence of the key or the secret replaced: exchange messages can echo
  /// them (Bybit's "error sign!" answer quotes the whole signed string, key included).
  public func scrub(_ text: String) -> String {
    var out = text
    for s in [secret, apiKey] where !s.isEmpty {
      out = out.replacingOccurrences(of: s, with: "***")
    }
    return out
  }
}
