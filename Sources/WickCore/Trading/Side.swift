/// Direction of a position.
public enum Side: String, Sendable, Hashable, Codable {
  case long
  case short

  /// +1 for long, −1 for short: PnL = sign × (exit − entry) × qty.
  @inline(__always) public var sign: Double { self == .long ? 1 : -1 }
  public var opposite: Side { self == .long ? .short : .long }
}
