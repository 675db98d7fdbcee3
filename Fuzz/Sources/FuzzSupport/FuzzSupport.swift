import Foundation
import WickData

/// One libFuzzer input, as the parsers receive outside input: bytes, or text when the reader
/// takes text. The first byte can pick which of a target's entry points reads the rest, so that
/// one target covers every endpoint of a client without a separate binary per endpoint.
public struct FuzzInput {
  public let bytes: [UInt8]

  public init(_ data: UnsafePointer<UInt8>?, _ count: Int) {
    bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: count)) } ?? []
  }

  /// The bytes as text, invalid UTF-8 repaired the way a socket's text frame or a lossy read
  /// would repair it.
  public var text: String { String(decoding: bytes, as: UTF8.self) }

  /// The bytes as text only when they are valid UTF-8 (what the file loaders accept).
  public var strictText: String? { String(validating: bytes, as: UTF8.self) }

  /// The first byte modulo `choices` and the rest of the input.
  public func split(_ choices: Int) -> (choice: Int, rest: FuzzInput) {
    guard let first = bytes.first else { return (0, self) }
    return (Int(first) % choices, FuzzInput(Array(bytes.dropFirst())))
  }

  init(_ bytes: [UInt8]) { self.bytes = bytes }
}

/// A transport whose every answer is `200 OK` with the fuzz input as its body: the REST clients
/// decode it through exactly the path a real exchange answer takes (envelope, retCode, rows).
public final class ReplayTransport: HTTPTransport {
  public var body: [UInt8]
  public init(body: [UInt8]) { self.body = body }
  public func get(_ url: String) throws -> HTTPResponse { HTTPResponse(status: 200, body: body) }
  public func send(_ request: HTTPRequest) throws -> HTTPResponse {
    HTTPResponse(status: 200, headers: ["content-type": "application/json"], body: body)
  }
}

/// One attempt, no waiting, no rate limit: a fuzz run must not sleep.
public enum FuzzPolicy {
  public static var retry: RetryPolicy { RetryPolicy(maxAttempts: 1, baseDelay: 0, maxDelay: 0) }
  public static var limiter: RateLimiter { RateLimiter(rate: 1e12, burst: 1e12, sleep: { _ in }) }
  public static let noSleep: @Sendable (TimeInterval) -> Void = { _ in }
}

/// libFuzzer's driver. SwiftPM links an executable's `main` to a symbol named after its module
/// (`fuzz_toml_main`), so each target defines that symbol and hands its test function here,
/// instead of taking libFuzzer's own `main`.
@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
  _ argc: UnsafeMutablePointer<CInt>,
  _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
  _ test: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

public func runFuzzer(
  _ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>,
  _ test: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt {
  var argc = argc
  var argv = argv
  return LLVMFuzzerRunDriver(&argc, &argv, test)
}
