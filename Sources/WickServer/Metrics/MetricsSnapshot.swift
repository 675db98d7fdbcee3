import Foundation
import GRDB
import WickData

/// What `GET /metrics` reports, read from the ledger in one transaction: per paper or live run
/// its equity, open positions, last candle and heartbeat, and counts of incidents, orders and
/// refusals; and the exchange request latency histogram the runners record.
struct MetricsSnapshot: Sendable {
  struct Run: Sendable {
    var id: Int64
    var strategy: String
    var mode: String
    var status: String
    var equity: Double
    var openPositions: Int
    /// Open time of the last handled candle (ms), nil before the first.
    var lastCandle: Int64?
    var heartbeat: Int64?
  }
  struct Count: Sendable {
    var run: Int64
    var label: String
    var count: Int
  }
  struct Latency: Sendable {
    var host: String
    /// Per-bucket counts (not cumulative), RequestLatency.bounds then +Inf.
    var buckets: [Int]
    var count: Int
    var sum: Double
  }

  var runs: [Run] = []
  var incidents: [Count] = []
  var orders: [Count] = []
  var refusals: [Count] = []
  var latency: [Latency] = []
}

extension DashboardStore {
  func metricsSnapshot() throws -> MetricsSnapshot {
    try read { db in
      var s = MetricsSnapshot()
      let live = "SELECT id FROM runs WHERE kind IN ('paper', 'live')"
      s.runs = try Row.fetchAll(
        db,
        sql: """
          SELECT r.id, r.strategy, r.kind, r.status,
            COALESCE((SELECT e.equity FROM equity_snapshots e WHERE e.run_id = r.id AND e.account IS NULL
                      ORDER BY e.time DESC LIMIT 1), r.final_equity, r.initial_equity) AS equity,
            r.last_time, r.heartbeat_at,
            (SELECT COUNT(*) FROM positions p WHERE p.run_id = r.id AND p.active = 1) AS open_positions
          FROM runs r WHERE r.kind IN ('paper', 'live') ORDER BY r.id
          """
      ).map {
        MetricsSnapshot.Run(
          id: $0["id"], strategy: $0["strategy"], mode: $0["kind"], status: $0["status"],
          equity: $0["equity"], openPositions: $0["open_positions"], lastCandle: $0["last_time"],
          heartbeat: $0["heartbeat_at"])
      }
      func counts(_ sql: String) throws -> [MetricsSnapshot.Count] {
        try Row.fetchAll(db, sql: sql).map {
          MetricsSnapshot.Count(run: $0["run_id"], label: $0["label"] ?? "", count: $0["n"])
        }
      }
      s.incidents = try counts(
        "SELECT run_id, kind AS label, COUNT(*) AS n FROM incidents WHERE run_id IN (\(live)) GROUP BY run_id, kind ORDER BY run_id, kind"
      )
      s.orders = try counts(
        "SELECT run_id, status AS label, COUNT(*) AS n FROM orders WHERE run_id IN (\(live)) GROUP BY run_id, status ORDER BY run_id, status"
      )
      s.refusals = try counts(
        """
        SELECT run_id, json_extract(detail_json, '$.code') AS label, COUNT(*) AS n FROM decisions
        WHERE kind = 'refusal' AND run_id IN (\(live)) GROUP BY run_id, label ORDER BY run_id, label
        """)
      s.latency = try Row.fetchAll(
        db,
        sql: "SELECT host, count, sum_seconds, buckets_json FROM exchange_requests ORDER BY host"
      ).map {
        MetricsSnapshot.Latency(
          host: $0["host"], buckets: RunLedger.counts($0["buckets_json"]), count: $0["count"],
          sum: $0["sum_seconds"])
      }
      return s
    }
  }
}

/// The Prometheus text exposition format (version 0.0.4) of a snapshot.
enum PrometheusText {
  static let contentType = "text/plain; version=0.0.4; charset=utf-8"

  static func render(_ s: MetricsSnapshot) -> String {
    var out = ""
    func family(_ name: String, _ type: String, _ help: String) {
      out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
    }
    func sample(_ name: String, _ labels: [(String, String)], _ value: String) {
      out += name
      if !labels.isEmpty {
        out += "{" + labels.map { "\($0.0)=\"\(escape($0.1))\"" }.joined(separator: ",") + "}"
      }
      out += " " + value + "\n"
    }
    func runLabels(_ r: MetricsSnapshot.Run) -> [(String, String)] {
      [("run", String(r.id)), ("strategy", r.strategy), ("mode", r.mode)]
    }
    family("wick_run_equity", "gauge", "Equity of a paper or live run, in quote currency.")
    for r in s.runs { sample("wick_run_equity", runLabels(r), number(r.equity)) }
    family("wick_run_open_positions", "gauge", "Open positions of a run.")
    for r in s.runs { sample("wick_run_open_positions", runLabels(r), String(r.openPositions)) }
    family(
      "wick_run_last_candle_timestamp_seconds", "gauge",
      "Open time of the last candle the run handled (Unix seconds).")
    for r in s.runs {
      if let t = r.lastCandle {
        sample("wick_run_last_candle_timestamp_seconds", runLabels(r), seconds(t))
      }
    }
    family(
      "wick_run_heartbeat_timestamp_seconds", "gauge",
      "When the runner last wrote its heartbeat (Unix seconds); old while it is down.")
    for r in s.runs {
      if let t = r.heartbeat {
        sample("wick_run_heartbeat_timestamp_seconds", runLabels(r), seconds(t))
      }
    }
    family("wick_run_running", "gauge", "1 while the run's status is running, else 0.")
    for r in s.runs {
      sample(
        "wick_run_running", runLabels(r) + [("status", r.status)], r.status == "running" ? "1" : "0"
      )
    }
    for (name, key, help, rows) in [
      ("wick_incidents_total", "kind", "Incidents recorded for a run, by kind.", s.incidents),
      ("wick_orders_total", "status", "Order rows of a run, by status.", s.orders),
      (
        "wick_refusals_total", "code", "Intents refused (risk or venue), by reason code.",
        s.refusals
      ),
    ] {
      family(name, "counter", help)
      for c in rows { sample(name, [("run", String(c.run)), (key, c.label)], String(c.count)) }
    }
    let h = "wick_exchange_request_duration_seconds"
    family(h, "histogram", "Duration of the runners' HTTP requests to the exchanges, by host.")
    for l in s.latency {
      var cumulative = 0
      for (i, n) in l.buckets.enumerated() {
        cumulative += n
        let le = i < RequestLatency.bounds.count ? number(RequestLatency.bounds[i]) : "+Inf"
        sample(h + "_bucket", [("host", l.host), ("le", le)], String(cumulative))
      }
      sample(h + "_sum", [("host", l.host)], number(l.sum))
      sample(h + "_count", [("host", l.host)], String(l.count))
    }
    return out
  }

  static func escape(_ s: String) -> String {
    s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
      .replacingOccurrences(of: "\n", with: "\\n")
  }

  static func number(_ v: Double) -> String {
    if v.isNaN { return "NaN" }
    if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
    return "\(v)"
  }

  static func seconds(_ ms: Int64) -> String { number(Double(ms) / 1000) }
}
