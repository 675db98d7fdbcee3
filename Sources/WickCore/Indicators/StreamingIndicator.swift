/// A streaming indicator: O(1) work and no allocation per update; `nil` until warm.
///
/// Inputs are positional (`a`, `b`, `c`) so one calling convention serves every indicator:
/// price-only indicators read `a`; ATR reads high, low, close; OLS reads y, x.
public protocol StreamingIndicator: AnyObject {
  /// Number of inputs `update` reads (1 to 3).
  var arity: Int { get }
  /// Feeds one observation and returns the new value, or nil while warming up.
  func update(_ a: Double, _ b: Double, _ c: Double) -> Double?
  /// The last value returned by `update`.
  var value: Double? { get }
}

/// Fixed-capacity ring of the last `capacity` values. Storage is allocated once and owned by
/// the ring (it is not copyable), so a push is plain loads and stores: no copy-on-write check.
public struct RingBuffer: ~Copyable {
  private let storage: UnsafeMutablePointer<Double>
  public let capacity: Int
  public private(set) var count = 0
  private var head = 0  // index of the oldest element

  public init(capacity: Int) {
    precondition(capacity > 0)
    self.capacity = capacity
    storage = .allocate(capacity: capacity)
    storage.initialize(repeating: 0, count: capacity)
  }

  deinit { storage.deallocate() }

  public var isFull: Bool { count == capacity }

  /// Appends `x`; when full, drops and returns the oldest value.
  @inline(__always) @discardableResult
  public mutating func push(_ x: Double) -> Double? {
    if count < capacity {
      storage[(head + count) % capacity] = x
      count += 1
      return nil
    }
    let old = storage[head]
    storage[head] = x
    head += 1
    if head == capacity { head = 0 }
    return old
  }

  /// The i-th oldest value (0 = oldest).
  @inline(__always) public subscript(i: Int) -> Double {
    precondition(i >= 0, "RingBuffer index out of range")
    return storage[(head + i) % capacity]
  }
}

/// An indicator with more inputs than three or more than one output (MACD's line, signal and
/// histogram; VWAP's time, high, low, close and volume). Values travel through raw buffers so
/// one C entry point serves every such indicator without allocating; each type also has a
/// typed `update` for Swift callers.
public protocol MultiOutputIndicator: AnyObject {
  /// How many inputs `update` reads (1 to 5).
  var inputCount: Int { get }
  /// How many outputs `update` writes (1 to 4).
  var outputCount: Int { get }
  /// Feeds one observation from `input[0 ..< inputCount]`; writes `output[0 ..< outputCount]`
  /// and returns true, or returns false while warming up (outputs untouched).
  func update(_ input: UnsafePointer<Double>, _ output: UnsafeMutablePointer<Double>) -> Bool
}
