extension Metrics {
  /// The metrics' JSON keys in report order (the columns of `wick optimize`'s results.csv).
  public static var keys: [String] { MetricField.all.map(\.key) }
}
