/// Errors a user can act on. Each message names what was wrong and what was expected.
public enum WickError: Error, CustomStringConvertible, Equatable, Sendable {
  /// A command-line value or config field is not acceptable.
  case invalidArgument(String)
  /// A file could not be read or parsed; `line` is 1-based when known.
  case invalidFile(path: String, line: Int?, reason: String)
  /// A strategy script failed (load, validation or a callback).
  case script(String)
  /// The candle cache could not serve the request.
  case data(String)
  /// An exchange request failed after its retries.
  case exchange(String)

  public var description: String {
    switch self {
    case .invalidArgument(let m): return m
    case .invalidFile(let path, let line, let reason):
      if let line { return "\(path):\(line): \(reason)" }
      return "\(path): \(reason)"
    case .script(let m): return m
    case .data(let m): return m
    case .exchange(let m): return m
    }
  }
}
