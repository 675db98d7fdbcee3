import Foundation
import WickCore
import WickLua

/// One swept parameter: its name and the values the sweep tries, in order.
///
///     let axis = try SweepAxis.parse("period=20:100:20", specs: manifest.params)
///     axis.values   // [20, 40, 60, 80, 100]
public struct SweepAxis: Sendable, Equatable {
  public var name: String
  public var values: [ParamValue]
  /// How the range was given (`20:100:20`, `fixed,trailing`), for the summary and the queue.
  public var range: String

  public init(name: String, values: [ParamValue], range: String) {
    self.name = name
    self.values = values
    self.range = range
  }

  /// A sweep of one param has at most this many values (a typo such as a step of 0.0001 on a
  /// range of 1,000 should fail fast rather than allocate a billion values).
  public static let maximumValues = 100_000

  /// Parses a `--param` value: `NAME=LO:HI:STEP`, `NAME=a,b,c`, `NAME=v` (held fixed) or a bare
  /// `NAME` (its declared `min:max:step`, its choices, or false,true). Every value is checked
  /// against the script's declaration; errors name the flag and the value.
  public static func parse(_ text: String, specs: [ParamSpec]) throws -> SweepAxis {
    let flag = "--param \(text)"
    let name: String
    let body: String?
    if let eq = text.firstIndex(of: "=") {
      name = text[..<eq].trimmingCharacters(in: .whitespaces)
      body = text[text.index(after: eq)...].trimmingCharacters(in: .whitespaces)
    } else {
      name = text.trimmingCharacters(in: .whitespaces)
      body = nil
    }
    guard !name.isEmpty else {
      throw WickError.invalidArgument("\(flag): expected NAME=LO:HI:STEP, NAME=a,b,c or NAME")
    }
    guard let spec = specs.first(where: { $0.name == name }) else {
      let declared = specs.map(\.name).joined(separator: ", ")
      throw WickError.invalidArgument(
        "\(flag): unknown param '\(name)' (the strategy declares: \(declared.isEmpty ? "none" : declared))"
      )
    }
    guard let body else {
      guard let axis = declared(spec) else {
        throw WickError.invalidArgument(
          "\(flag): '\(name)' declares no range to sweep (it needs min, max and step, or choices): give one, e.g. \(name)=LO:HI:STEP or \(name)=a,b,c"
        )
      }
      return axis
    }
    guard !body.isEmpty else {
      throw WickError.invalidArgument("\(flag): no values after '='")
    }
    var raw: [ParamValue]
    if body.contains(":") {
      raw = try numericRange(body, flag: flag).map(ParamValue.number)
    } else {
      raw = try body.split(separator: ",", omittingEmptySubsequences: false).map { part in
        let item = part.trimmingCharacters(in: .whitespaces)
        guard !item.isEmpty else {
          throw WickError.invalidArgument("\(flag): empty value in the list '\(body)'")
        }
        return Double(item).map(ParamValue.number) ?? .string(item)
      }
    }
    raw = try raw.map { try spec.validate($0, source: flag) }
    var seen: [ParamValue] = []
    for v in raw where !seen.contains(v) { seen.append(v) }
    return SweepAxis(name: name, values: seen, range: body)
  }

  /// The declared range of a param: numbers with min, max and step; choices; booleans.
  /// Nil when the declaration has no finite set of values.
  public static func declared(_ spec: ParamSpec) -> SweepAxis? {
    switch spec.kind {
    case .number(let lo?, let hi?, let step?) where step > 0:
      let text = "\(formatNumber(lo)):\(formatNumber(hi)):\(formatNumber(step))"
      guard let values = try? numericRange(text, flag: spec.name) else { return nil }
      return SweepAxis(name: spec.name, values: values.map(ParamValue.number), range: text)
    case .choice(let options):
      return SweepAxis(
        name: spec.name, values: options.map(ParamValue.string),
        range: options.joined(separator: ","))
    case .bool:
      return SweepAxis(name: spec.name, values: [.bool(false), .bool(true)], range: "false,true")
    default:
      return nil
    }
  }

  /// `LO:HI:STEP` → LO, LO+STEP, … ≤ HI. Each value is LO + k·STEP rounded to the decimals the
  /// text used, so 0.1:0.3:0.1 gives 0.1, 0.2, 0.3 and never 0.30000000000000004.
  static func numericRange(_ text: String, flag: String) throws -> [Double] {
    let parts = text.split(separator: ":", omittingEmptySubsequences: false).map {
      $0.trimmingCharacters(in: .whitespaces)
    }
    guard parts.count == 3, let lo = Double(parts[0]), let hi = Double(parts[1]),
      let step = Double(parts[2]), lo.isFinite, hi.isFinite, step.isFinite
    else {
      throw WickError.invalidArgument(
        "\(flag): expected LO:HI:STEP with three numbers, e.g. 10:100:10")
    }
    guard step > 0 else {
      throw WickError.invalidArgument("\(flag): the step \(parts[2]) must be positive")
    }
    guard lo <= hi else {
      throw WickError.invalidArgument(
        "\(flag): the low end \(parts[0]) is above the high end \(parts[1])")
    }
    let span = ((hi - lo) / step * (1 + 1e-12)).rounded(.down)
    guard span < Double(maximumValues) else {
      throw WickError.invalidArgument(
        "\(flag): \(Int(span) + 1) values is more than \(maximumValues): use a larger step")
    }
    let decimals = parts.compactMap(decimalPlaces).max()
    return (0...Int(span)).map { k in
      let v = lo + Double(k) * step
      guard let decimals else { return v }
      let scale = pow(10.0, Double(decimals))
      return (v * scale).rounded() / scale
    }
  }

  /// Digits after the decimal point of a plain decimal number; nil for exponent notation.
  static func decimalPlaces(_ text: String) -> Int? {
    if text.contains(where: { $0 == "e" || $0 == "E" }) { return nil }
    guard let dot = text.firstIndex(of: ".") else { return 0 }
    return text.distance(from: dot, to: text.endIndex) - 1
  }
}
