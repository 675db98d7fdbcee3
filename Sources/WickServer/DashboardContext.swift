import Hummingbird
import NIOCore

/// The dashboard's request context: Hummingbird's basic one plus the client's address, which
/// login throttling counts failures by.
public struct DashboardContext: RequestContext {
  public var coreContext: CoreRequestContextStorage
  /// The peer's IP address ("unknown" when the channel has none, as in router tests).
  public let client: String

  public init(source: ApplicationRequestContextSource) {
    coreContext = .init(source: source)
    client = source.channel.remoteAddress?.ipAddress ?? "unknown"
  }
}
