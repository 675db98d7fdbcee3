extension Metrics {
  /// The metrics' JSON keys in report order (the columns of `wick optimize`'s results.csv).
  public static var keys: [String] { MetricField.all.map(\.key) }
}

extension Metrics {
  /// (label, value) in report order, formatted as the terminal summary and the HTML report show
  /// them: the dashboard's run page shows a paper run's metrics with the backtest's labels.
  public var displayRows: [(label: String, value: String)] {
    Format.metricRows(self).map { (label: $0.0, value: $0.1) }
  }
}
