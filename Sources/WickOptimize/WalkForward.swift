import WickCore

/// `--walk-forward TRAIN:TEST[:STEP]` (durations such as `90d:30d`, `12w:4w:2w`): windows that
/// roll forward by STEP (default TEST). Each window picks its params on [train start, train end)
/// and is scored on [train end, train end + TEST), which the training run never sees.
public struct WalkForward: Sendable, Equatable {
  public var train: Int64
  public var test: Int64
  public var step: Int64
  public var text: String

  public struct Window: Sendable, Equatable {
    public var index: Int
    public var trainFrom: Int64
    public var trainTo: Int64
    public var testFrom: Int64
    public var testTo: Int64
  }

  public init(parsing text: String) throws {
    let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
    guard parts.count == 2 || parts.count == 3 else {
      throw WickError.invalidArgument(
        "--walk-forward \(text): expected TRAIN:TEST or TRAIN:TEST:STEP, e.g. 90d:30d")
    }
    let d = try parts.map { try Self.duration($0, flag: "--walk-forward \(text)") }
    train = d[0]
    test = d[1]
    step = d.count == 3 ? d[2] : d[1]
    self.text = text
    guard step >= test else {
      throw WickError.invalidArgument(
        "--walk-forward \(text): the step \(parts[2]) is shorter than the test period \(parts[1]), so test periods would overlap and could not be stitched"
      )
    }
  }

  /// `30d`, `12h`, `90m`, `4w` → milliseconds.
  static func duration(_ text: String, flag: String) throws -> Int64 {
    let units: [Character: Int64] = [
      "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000,
    ]
    guard let unit = text.last, let scale = units[unit], let n = Int64(text.dropLast()), n > 0,
      n < 100_000
    else {
      throw WickError.invalidArgument(
        "\(flag): '\(text)' is not a duration: expected a positive number and a unit m, h, d or w (e.g. 90d)"
      )
    }
    return n * scale
  }

  /// The windows fitting in [from, to): the first trains from `from`; only whole test periods.
  public func windows(from: Int64, to: Int64) -> [Window] {
    var out: [Window] = []
    var start = from
    while start + train + test <= to {
      out.append(
        Window(
          index: out.count, trainFrom: start, trainTo: start + train, testFrom: start + train,
          testTo: start + train + test))
      start += step
    }
    return out
  }
}
