import Foundation
import WickCore

/// A declared strategy parameter, parsed from the script's `params` table.
///
///     params = {
///       period    = { default = 60, min = 5, max = 500, step = 5 },
///       use_trail = { default = false },
///       tp_mode   = { default = "fixed", choices = { "fixed", "trailing" } },
///       pairs     = { default = { { a = "BTCUSDT", b = "ETHUSDT" } } },
///     }
public struct ParamSpec: Sendable, Equatable {
  public enum Kind: Sendable, Equatable {
    case number(min: Double?, max: Double?, step: Double?)
    case bool
    case choice([String])
    case string
    case list
  }

  public var name: String
  public var kind: Kind
  public var defaultValue: ParamValue
  public var description: String?

  /// Checks `value` against the declaration; returns it coerced (e.g. "5" → 5 from the CLI).
  public func validate(_ value: ParamValue, source: String) throws -> ParamValue {
    func fail(_ why: String) -> WickError { .invalidArgument("\(source): param '\(name)': \(why)") }
    switch kind {
    case .number(let lo, let hi, let step):
      var v: Double
      switch value {
      case .number(let d): v = d
      case .string(let s):
        guard let d = Double(s) else { throw fail("expected a number, got '\(s)'") }
        v = d
      default: throw fail("expected a number, got \(value)")
      }
      guard v.isFinite else { throw fail("expected a finite number, got \(v)") }
      if let lo, v < lo {
        throw fail("\(formatNumber(v)) is below the minimum \(formatNumber(lo))")
      }
      if let hi, v > hi {
        throw fail("\(formatNumber(v)) is above the maximum \(formatNumber(hi))")
      }
      if let step, step > 0 {
        let base = lo ?? 0
        let k = ((v - base) / step).rounded()
        if abs(base + k * step - v) > 1e-9 * max(1, abs(v)) {
          throw fail(
            "\(formatNumber(v)) is not on the grid \(formatNumber(base)) + k × \(formatNumber(step))"
          )
        }
        v = base + k * step
      }
      return .number(v)
    case .bool:
      switch value {
      case .bool: return value
      case .string("true"): return .bool(true)
      case .string("false"): return .bool(false)
      default: throw fail("expected true or false, got \(value)")
      }
    case .choice(let options):
      guard case .string(let s) = value, options.contains(s) else {
        throw fail("expected one of \(options.joined(separator: ", ")), got \(value)")
      }
      return value
    case .string:
      guard case .string = value else { throw fail("expected a string, got \(value)") }
      return value
    case .list:
      guard case .list(let items) = value else { throw fail("expected a list, got \(value)") }
      return .list(items)
    }
  }
}

/// Resolves declared params against user overrides (CLI `--param`, `--params FILE`, dashboard).
/// Unknown names and invalid values are errors; nothing is silently ignored.
public func resolveParams(
  _ specs: [ParamSpec], overrides: [(name: String, value: ParamValue, source: String)]
) throws -> [(name: String, value: ParamValue)] {
  var values = specs.map { (name: $0.name, value: $0.defaultValue) }
  for o in overrides {
    guard let i = specs.firstIndex(where: { $0.name == o.name }) else {
      let declared = specs.map(\.name).joined(separator: ", ")
      throw WickError.invalidArgument(
        "\(o.source): unknown param '\(o.name)' (the strategy declares: \(declared.isEmpty ? "none" : declared))"
      )
    }
    values[i].value = try specs[i].validate(o.value, source: o.source)
  }
  return values
}

/// Parses `name=value` from the command line. The value is kept as text; the declaration decides.
public func parseParamAssignment(_ text: String) throws -> (
  name: String, value: ParamValue, source: String
) {
  guard let eq = text.firstIndex(of: "="), eq != text.startIndex else {
    throw WickError.invalidArgument("--param \(text): expected name=value")
  }
  let name = String(text[..<eq]).trimmingCharacters(in: .whitespaces)
  let raw = String(text[text.index(after: eq)...]).trimmingCharacters(in: .whitespaces)
  let value: ParamValue = Double(raw).map(ParamValue.number) ?? .string(raw)
  return (name, value, "--param \(text)")
}
