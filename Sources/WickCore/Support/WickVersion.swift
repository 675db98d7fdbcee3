/// The release this build is: `wick --version` prints it and every backtest result records it
/// (`reproduce.version`), so a result re-run by another build says that the build differs.
///
///     print(WickVersion.current)  // "0.12.0"
public enum WickVersion {
  public static let current = "0.12.0"
}
