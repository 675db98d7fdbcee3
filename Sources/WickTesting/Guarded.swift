import Foundation

/// A mock's setting that a test changes while the mock's server threads read it (a fault to
/// inject, the exchange's clock): every read and write goes through a lock of its own, so
/// ThreadSanitizer sees no race and a server thread never reads a half-written value.
@propertyWrapper
public final class Guarded<Value>: @unchecked Sendable {
  private let lock = NSLock()
  private var value: Value

  public init(wrappedValue: Value) { value = wrappedValue }

  public var wrappedValue: Value {
    get { lock.withLock { value } }
    set { lock.withLock { value = newValue } }
  }
}
