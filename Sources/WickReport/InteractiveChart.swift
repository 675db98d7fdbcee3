import Foundation
import WickCore

/// The interactive price chart of the report and the dashboard: candlesticks per symbol with
/// every trade's entry and exit marked, zoom and pan (pinch on a phone), a crosshair legend with
/// the candle's values, and the equity curve (with the buy-and-hold benchmark) linked below it.
/// Drawn by TradingView's Lightweight Charts, inlined with its licence header: no network.
///
/// Candles come from `PriceBuckets`: a long run is shown as buckets whose width is a power-of-two
/// multiple of the timeframe (at most twice the buckets' capacity), each bucket a true candle of
/// the candles in it (first open, highest high, lowest low, last close), so no spike is lost.
/// Markers are never dropped: each trade's entry and exit sit on the bucket holding its time.
///
///     html += InteractiveChart.render(result, prices: prices, benchmark: sheet.benchmark)
public enum InteractiveChart {
  /// Where the chart's two scripts come from: inlined (a report file opened from disk) or
  /// linked from the dashboard's assets (its Content-Security-Policy runs no inline script).
  public enum Scripts: Sendable, Equatable {
    case inline
    case linked(library: String, glue: String)

    /// The dashboard's asset paths.
    public static let dashboard = Scripts.linked(
      library: "/assets/lightweight-charts.js", glue: "/assets/wick-chart.js")
  }

  /// Lightweight Charts itself (with its licence header), for a server to serve as an asset.
  public static var libraryScript: String { LightweightCharts.script }
  /// Wick's glue, for a server to serve as an asset.
  public static var glueScript: String { glue }

  /// A position still open: its entry is marked (a run's page; a backtest closes everything).
  public struct OpenEntry: Sendable {
    public var symbol: String
    public var side: Side
    public var time: Int64
    public var price: Double
    public init(symbol: String, side: Side, time: Int64, price: Double) {
      (self.symbol, self.side, self.time, self.price) = (symbol, side, time, price)
    }
  }

  /// The HTML block (containers, data and scripts); empty without prices.
  public static func render(
    _ r: BacktestResult, prices: [PriceBuckets], benchmark: Benchmark?, symbolLimit: Int = 8,
    open: [OpenEntry] = [], scripts: Scripts = .inline
  ) -> String {
    let shown = prices.prefix(symbolLimit).filter { $0.count > 0 }
    guard !shown.isEmpty else { return "" }
    var w = JSONWriter(capacity: 64 * 1024 + r.trades.count * 48)
    w.raw("{\"symbols\": [")
    for (n, p) in shown.enumerated() {
      if n > 0 { w.raw(", ") }
      series(p, trades: r.trades, open: open, &w)
    }
    w.raw("], \"equity\": ")
    pairs(r.equity.map { ($0.time, $0.equity) }, &w)
    w.raw(", \"benchmark\": ")
    pairs((benchmark?.daily ?? []).map { ($0.time, $0.equity * r.initialEquity) }, &w)
    w.raw("}")
    // Inside <script>, only "</" could end the element early; JSON allows "<\/".
    let data = w.text.replacingOccurrences(of: "</", with: "<\\/")
    var html = "<div class=\"ichart\">\n"
    for (n, p) in shown.enumerated() {
      if shown.count > 1 { html += "<div class=\"muted\">\(HTMLEscape.text(p.symbol))</div>\n" }
      html += "<div class=\"ilegend\" id=\"wick-legend-\(n)\">&nbsp;</div>"
      html += "<div class=\"iprice\" id=\"wick-price-\(n)\"></div>\n"
    }
    html += "<div class=\"ilegend\" id=\"wick-legend-eq\">&nbsp;</div>"
    html += "<div class=\"iequity\" id=\"wick-equity\"></div>\n"
    html +=
      "<div class=\"muted legend\">Drag or pinch to zoom and pan; double-tap an axis to reset. Candles: \(bucketNote(shown)). Charts by <a href=\"https://www.tradingview.com/\">TradingView</a> Lightweight Charts™.</div>\n"
    html += "</div>\n"
    html += "<script type=\"application/json\" id=\"wick-chart-data\">\(data)</script>\n"
    switch scripts {
    case .inline:
      html += "<script>\(LightweightCharts.script)</script>\n<script>\(glue)</script>\n"
    case .linked(let library, let glue):
      html +=
        "<script src=\"\(HTMLEscape.text(library))\"></script>\n<script src=\"\(HTMLEscape.text(glue))\"></script>\n"
    }
    return html
  }

  /// CSS of the interactive block; printing shows the static SVG instead.
  public static let css = """
    .ichart .iprice{height:340px} .ichart .iequity{height:170px;margin-top:6px}
    .ilegend{font:12px ui-monospace,monospace;color:#374151;min-height:16px;white-space:nowrap;overflow:hidden}
    .ichart{display:none} .js .ichart{display:block} .js .static-price{display:none}
    @media (max-width:640px){.ichart .iprice{height:280px} .ichart .iequity{height:140px}}
    @media print{.js .ichart{display:none} .js .static-price{display:block}}

    """

  static func bucketNote(_ prices: [PriceBuckets]) -> String {
    let widths = Set(prices.map(\.width))
    guard widths.count == 1, let w = widths.first else { return "grouped per symbol" }
    return
      "one per \(Timeframe(milliseconds: w).description) (each the open, high, low and close of the candles in it)"
  }

  /// `{"s": symbol, "t": [s…], "o", "h", "l", "c", "m": [[t, kind, price]…]}`; times in
  /// seconds (the library's UTC timestamps); marker kinds 0 long entry, 1 short entry,
  /// 2 winning exit, 3 losing exit.
  static func series(
    _ p: PriceBuckets, trades: [Trade], open: [OpenEntry] = [], _ w: inout JSONWriter
  ) {
    w.raw("{\"s\": ")
    w.string(p.symbol)
    w.raw(", \"t\": [")
    for (i, t) in p.times.enumerated() {
      if i > 0 { w.raw(",") }
      w.integer(t / 1000)
    }
    w.raw("]")
    for (key, values) in [("o", p.opens), ("h", p.highs), ("l", p.lows), ("c", p.closes)] {
      w.raw(", ")
      w.string(key)
      w.raw(": [")
      for (i, v) in values.enumerated() {
        if i > 0 { w.raw(",") }
        w.number(v)
      }
      w.raw("]")
    }
    w.raw(", \"m\": [")
    var marks: [(time: Int64, kind: Int, price: Double)] = []
    for t in trades where t.symbol == p.symbol {
      marks.append((bucket(t.entryTime, p), t.side == .long ? 0 : 1, t.entryPrice))
      marks.append((bucket(t.exitTime, p), t.pnl >= 0 ? 2 : 3, t.exitPrice))
    }
    for o in open where o.symbol == p.symbol {
      marks.append((bucket(o.time, p), o.side == .long ? 0 : 1, o.price))
    }
    marks.sort { $0.time < $1.time }
    for (i, m) in marks.enumerated() {
      if i > 0 { w.raw(",") }
      w.raw("[")
      w.integer(m.time / 1000)
      w.raw(",")
      w.integer(Int64(m.kind))
      w.raw(",")
      w.number(m.price)
      w.raw("]")
    }
    w.raw("]}")
  }

  /// The start of the bucket holding `time` (clamped to the series).
  static func bucket(_ time: Int64, _ p: PriceBuckets) -> Int64 {
    guard let first = p.times.first, let last = p.times.last else { return time }
    let start = first + UTCTime.floorDiv(time - first, p.width) * p.width
    return min(max(start, first), last)
  }

  static func pairs(_ points: [(Int64, Double)], _ w: inout JSONWriter) {
    w.raw("[")
    var previous = Int64.min
    var first = true
    for (t, v) in points where t / 1000 > previous {
      previous = t / 1000
      if !first { w.raw(",") }
      first = false
      w.raw("[")
      w.integer(t / 1000)
      w.raw(",")
      w.number(v)
      w.raw("]")
    }
    w.raw("]")
  }

  /// Wick's glue: builds the charts from the data block, links their time ranges and fills the
  /// crosshair legends.
  static let glue = """
    (function(){
    var LC=window.LightweightCharts,el=document.getElementById('wick-chart-data');
    if(!LC||!el)return;
    document.documentElement.classList.add('js');
    var D=JSON.parse(el.textContent),charts=[],syncing=false;
    function iso(t){return new Date(t*1000).toISOString().replace('T',' ').slice(0,16)}
    function f(v){return v>=1000?v.toFixed(2):v>=1?v.toFixed(4):v.toPrecision(6)}
    function make(id){
      var c=LC.createChart(document.getElementById(id),{autoSize:true,
        layout:{fontSize:11,textColor:'#374151',background:{color:'#ffffff'}},
        grid:{vertLines:{color:'#f3f4f6'},horzLines:{color:'#f3f4f6'}},
        timeScale:{timeVisible:true,secondsVisible:false,borderColor:'#e5e7eb'},
        rightPriceScale:{borderColor:'#e5e7eb'},crosshair:{mode:0},
        handleScale:{pinch:true,mouseWheel:true,axisPressedMouseMove:true,axisDoubleClickReset:true},
        handleScroll:{pressedMouseMove:true,horzTouchDrag:true,vertTouchDrag:false,mouseWheel:true}});
      charts.push(c);return c}
    var kinds=[{position:'belowBar',color:'#047857',shape:'arrowUp'},{position:'aboveBar',color:'#b91c1c',shape:'arrowDown'},
      {position:'inBar',color:'#047857',shape:'square'},{position:'inBar',color:'#b91c1c',shape:'square'}];
    D.symbols.forEach(function(s,n){
      var c=make('wick-price-'+n),se=c.addCandlestickSeries({upColor:'#16a34a',downColor:'#dc2626',borderVisible:false,wickUpColor:'#16a34a',wickDownColor:'#dc2626'});
      se.setData(s.t.map(function(t,i){return {time:t,open:s.o[i],high:s.h[i],low:s.l[i],close:s.c[i]}}));
      se.setMarkers(s.m.map(function(m){var k=kinds[m[1]];return {time:m[0],position:k.position,color:k.color,shape:k.shape,size:0.6}}));
      var lg=document.getElementById('wick-legend-'+n);
      c.subscribeCrosshairMove(function(p){var d=p&&p.time!==undefined?p.seriesData.get(se):null;
        lg.textContent=d?s.s+' '+iso(p.time)+'  O '+f(d.open)+' H '+f(d.high)+' L '+f(d.low)+' C '+f(d.close):'\\u00a0';
        equityAt(p&&p.time)});
      c.timeScale().fitContent()});
    var ec=make('wick-equity'),eq=ec.addLineSeries({color:'#2563eb',lineWidth:2,priceLineVisible:false});
    eq.setData(D.equity.map(function(p){return {time:p[0],value:p[1]}}));
    if(D.benchmark.length){var bs=ec.addLineSeries({color:'#9ca3af',lineWidth:1,priceLineVisible:false,lastValueVisible:false});
      bs.setData(D.benchmark.map(function(p){return {time:p[0],value:p[1]}}))}
    var el2=document.getElementById('wick-legend-eq');
    function equityAt(t){if(t===undefined||t===null||!D.equity.length){el2.innerHTML='<span style=\"color:#2563eb\">equity</span>'+(D.benchmark.length?' · <span style=\"color:#9ca3af\">buy and hold</span>':'');return}
      var lo=0,hi=D.equity.length-1;while(lo<hi){var m=(lo+hi+1)>>1;if(D.equity[m][0]<=t)lo=m;else hi=m-1}
      el2.textContent='equity '+D.equity[lo][1].toFixed(2)+' at '+iso(D.equity[lo][0])}
    ec.subscribeCrosshairMove(function(p){equityAt(p&&p.time)});equityAt();
    ec.timeScale().fitContent();
    charts.forEach(function(c){c.timeScale().subscribeVisibleTimeRangeChange(function(r){
      if(syncing||!r)return;syncing=true;
      charts.forEach(function(o){if(o!==c){try{o.timeScale().setVisibleRange(r)}catch(e){}}});syncing=false})});
    })();
    """
}
