#!/usr/bin/env python3
"""Writes the seed corpus under Fuzz/Corpus/<target>/: the message shapes the exchanges document
(Bybit v5, Binance USDⓈ-M), the repository's TOML files and strategies, and the CSV, params,
form and cookie shapes the tests use. Run it again after changing a shape; libFuzzer adds what it
finds to its own working copy (out/fuzz/<target>), never to this committed seed set."""
import glob, hashlib, json, os

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def put(target, data, prefix=None):
    if isinstance(data, str):
        data = data.encode()
    if prefix is not None:
        data = bytes([prefix]) + data
    d = os.path.join(HERE, "Corpus", target)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def bybit(result, code=0, msg="OK"):
    return json.dumps({"retCode": code, "retMsg": msg, "result": result, "retExtInfo": {},
                       "time": 1672211918471})


# --- TOML config: the repository's own files and a few edge shapes.
for p in sorted(glob.glob(os.path.join(ROOT, "config", "*.toml")) +
                glob.glob(os.path.join(ROOT, "examples", "*.toml")) +
                glob.glob(os.path.join(ROOT, "deploy", "*", "*.toml"))):
    put("fuzz-toml", open(p, "rb").read())
put("fuzz-toml", '[risk]\nrisk_per_trade = 0.01\nmax_leverage = 5\nloss_streak_decay = [ { after = 3, factor = 0.5 } ]\n')
put("fuzz-toml", '[[account]]\nsymbol = "BTCUSDT"\n[sessions]\nasia = "00:00-08:00"\n# comment\n')
put("fuzz-toml", 'a = "x\\u00e9\\n"\nb = \'lit\'\nc = [1, 2.5, -3e2, true]\nd = { e = 1, f = "g" }\n')

# --- CSV import: the shapes `wick data import` documents (header or not, ms/s/ISO times).
put("fuzz-csv", "time,open,high,low,close,volume\n1704067200000,100,101,99,100.5,12\n1704067260000,100.5,102,100,101,8\n")
put("fuzz-csv", "timestamp;open;high;low;close;volume\n2024-01-01T00:00:00Z;100;101;99;100.5;12\n2024-01-01T00:01:00Z;100.5;102;100;101;8\n")
put("fuzz-csv", "1704067200,100,101,99,100.5,12\n1704067260,100.5,102,100,101,8\n")
put("fuzz-csv", "date,open,high,low,close,volume,quote_volume\n2024-01-01 00:00:00,1e2,101,99,100.5,12,1200\n")
put("fuzz-csv", "time,open,high,low,close,volume\n1704067200000,100,99,101,100.5,-1\n")

# --- params files: byte 0 is JSON, byte 1 TOML.
put("fuzz-params", '{"period": 120, "threshold": 0.002, "allow_short": false, "pairs": [{"a": "BTCUSDT", "b": "ETHUSDT"}]}', 0)
put("fuzz-params", '{"name": "x", "list": [1, 2, 3], "nested": {"k": [true, "s"]}}', 0)
put("fuzz-params", 'period = 120\nthreshold = 0.002\nallow_short = false\npairs = [ { a = "BTCUSDT", b = "ETHUSDT" } ]\n', 1)

# --- Bybit v5 REST (byte 0 picks the endpoint, as in FuzzBybitREST.swift).
kline = bybit({"symbol": "BTCUSDT", "category": "linear", "list": [
    ["1670608800000", "17071", "17073", "17027", "17055.5", "268611", "15.74462667"],
    ["1670605200000", "17071.5", "17071.5", "17061", "17071", "4177", "0.24469757"]]})
put("fuzz-bybit-rest", kline, 0)
put("fuzz-bybit-rest", bybit({"category": "linear", "list": [
    {"symbol": "BTCUSDT", "fundingRate": "-0.000006", "fundingRateTimestamp": "1652112000000"}]}), 1)
time_ = bybit({"timeSecond": "1688639403", "timeNano": "1688639403423213947"})
put("fuzz-bybit-rest", time_, 2)
put("fuzz-bybit-rest", time_, 3)
put("fuzz-bybit-rest", bybit({"category": "linear", "list": [{
    "symbol": "BTCUSDT", "contractType": "LinearPerpetual", "status": "Trading", "baseCoin": "BTC",
    "quoteCoin": "USDT", "priceScale": "2",
    "leverageFilter": {"minLeverage": "1", "maxLeverage": "100.00", "leverageStep": "0.01"},
    "priceFilter": {"minPrice": "0.10", "maxPrice": "199999.80", "tickSize": "0.10"},
    "lotSizeFilter": {"maxOrderQty": "100.000", "minOrderQty": "0.001", "qtyStep": "0.001",
                      "minNotionalValue": "5"}}], "nextPageCursor": ""}), 4)
order = {"orderId": "fd4300ae-7847-404e-b947-b46980a4d140", "orderLinkId": "w1-1704067200000-BTCUSDT-e",
         "symbol": "BTCUSDT", "price": "0", "qty": "0.010", "side": "Buy", "positionIdx": 0,
         "orderStatus": "Filled", "avgPrice": "42000.5", "leavesQty": "0", "cumExecQty": "0.010",
         "cumExecValue": "420.005", "cumExecFee": "0.231", "orderType": "Market", "stopLoss": "",
         "takeProfit": "", "reduceOnly": False, "createdTime": "1704067200123",
         "updatedTime": "1704067200456", "rejectReason": "EC_NoError"}
for i in (5, 6):
    put("fuzz-bybit-rest", bybit({"category": "linear", "list": [order], "nextPageCursor": ""}), i)
position = {"positionIdx": 0, "symbol": "BTCUSDT", "side": "Buy", "size": "0.010", "avgPrice": "42000.5",
            "positionValue": "420.005", "leverage": "3", "markPrice": "42010", "stopLoss": "41000",
            "takeProfit": "44000", "trailingStop": "0", "unrealisedPnl": "0.1",
            "createdTime": "1704067200123", "updatedTime": "1704067200456"}
for i in (7, 8, 9):
    put("fuzz-bybit-rest", bybit({"category": "linear", "list": [position], "nextPageCursor": ""}), i)
execution = {"symbol": "BTCUSDT", "orderId": order["orderId"], "orderLinkId": order["orderLinkId"],
             "side": "Buy", "execId": "e2a4f5b6", "execPrice": "42000.5", "execQty": "0.010",
             "execValue": "420.005", "execFee": "0.231", "feeRate": "0.00055", "execType": "Trade",
             "execTime": "1704067200200", "closedSize": "0", "isMaker": False}
put("fuzz-bybit-rest", bybit({"category": "linear", "list": [execution], "nextPageCursor": ""}), 10)
put("fuzz-bybit-rest", bybit({"list": [{"accountType": "UNIFIED", "totalEquity": "10012.5",
    "totalWalletBalance": "10000", "totalAvailableBalance": "9500", "totalPerpUPL": "12.5",
    "coin": [{"coin": "USDT", "equity": "10012.5", "walletBalance": "10000",
              "unrealisedPnl": "12.5", "availableToWithdraw": "9500"}]}]}), 11)
put("fuzz-bybit-rest", bybit({"category": "linear", "list": [dict(execution, execType="Funding", execFee="0.12")],
                              "nextPageCursor": ""}), 12)
put("fuzz-bybit-rest", bybit({}, 10006, "Too many visits!"), 6)
put("fuzz-bybit-rest", bybit({}, 10002, "invalid request, please check your server timestamp"), 9)

# --- Bybit WebSocket frames (docs: public kline, private order/execution/position/wallet).
put("fuzz-bybit-ws", json.dumps({"topic": "kline.1.BTCUSDT", "data": [{
    "start": 1672324800000, "end": 1672324859999, "interval": "1", "open": "16649.5",
    "close": "16677", "high": "16677", "low": "16608", "volume": "2.081",
    "turnover": "34666.4005", "confirm": True, "timestamp": 1672324859999}],
    "ts": 1672324859999, "type": "snapshot"}))
put("fuzz-bybit-ws", json.dumps({"success": True, "ret_msg": "", "op": "auth", "conn_id": "cejreaspqfh3sjdnldmg-p"}))
put("fuzz-bybit-ws", json.dumps({"success": False, "ret_msg": "Params Error", "op": "subscribe", "conn_id": "x"}))
put("fuzz-bybit-ws", json.dumps({"op": "pong", "args": ["1672324859999"], "conn_id": "x"}))
put("fuzz-bybit-ws", json.dumps({"id": "5923240c6880ab-c59f-420b-9adb-3639adc9dd90", "topic": "order",
    "creationTime": 1672364262474, "data": [dict(order, category="linear")]}))
put("fuzz-bybit-ws", json.dumps({"id": "x", "topic": "execution", "creationTime": 1672364262474,
    "data": [dict(execution, category="linear")]}))
put("fuzz-bybit-ws", json.dumps({"id": "x", "topic": "position", "creationTime": 1672364262474,
    "data": [dict(position, category="linear", positionStatus="Normal")]}))
put("fuzz-bybit-ws", json.dumps({"id": "x", "topic": "wallet", "creationTime": 1672364262474,
    "data": [{"accountType": "UNIFIED", "totalEquity": "10012.5", "coin": [{"coin": "USDT", "walletBalance": "10000"}]}]}))

# --- Binance USDⓈ-M REST (byte 0 picks the endpoint, as in FuzzBinanceREST.swift).
bkl = json.dumps([[1499040000000, "0.01634790", "0.80000000", "0.01575800", "0.01577100",
                   "148976.11427815", 1499644799999, "2434.19055334", 308, "1756.87402397",
                   "28.46694368", "0"]])
put("fuzz-binance-rest", bkl, 0)
put("fuzz-binance-rest", json.dumps([{"symbol": "BTCUSDT", "fundingRate": "-0.03750000",
    "fundingTime": 1570608000000, "markPrice": "34287.54619963"}]), 1)
btime = json.dumps({"serverTime": 1499827319559})
put("fuzz-binance-rest", btime, 2)
put("fuzz-binance-rest", btime, 3)
put("fuzz-binance-rest", json.dumps({"timezone": "UTC", "serverTime": 1565246363776, "symbols": [{
    "symbol": "BTCUSDT", "pair": "BTCUSDT", "contractType": "PERPETUAL", "status": "TRADING",
    "baseAsset": "BTC", "quoteAsset": "USDT", "marginAsset": "USDT", "pricePrecision": 2,
    "quantityPrecision": 3, "filters": [
        {"filterType": "PRICE_FILTER", "maxPrice": "4529764", "minPrice": "556.80", "tickSize": "0.10"},
        {"filterType": "LOT_SIZE", "maxQty": "1000", "minQty": "0.001", "stepSize": "0.001"},
        {"filterType": "MARKET_LOT_SIZE", "maxQty": "120", "minQty": "0.001", "stepSize": "0.001"},
        {"filterType": "MIN_NOTIONAL", "notional": "100"}]}]}), 4)
put("fuzz-binance-rest", json.dumps({"dualSidePosition": True}), 5)
put("fuzz-binance-rest", json.dumps({"multiAssetsMargin": False}), 6)
put("fuzz-binance-rest", json.dumps({"avgPrice": "42000.5", "clientOrderId": "w1-1704067200000-BTCUSDT-e",
    "cumQuote": "420.005", "executedQty": "0.010", "orderId": 1917641, "origQty": "0.010",
    "origType": "MARKET", "price": "0", "reduceOnly": False, "side": "BUY", "positionSide": "BOTH",
    "status": "FILLED", "symbol": "BTCUSDT", "time": 1579276756075, "type": "MARKET",
    "updateTime": 1579276756075}), 7)
put("fuzz-binance-rest", json.dumps({"code": -2013, "msg": "Order does not exist."}), 7)
put("fuzz-binance-rest", json.dumps([{"algoId": 2146760, "clientAlgoId": "w1-1704067200000-BTCUSDT-s",
    "algoType": "CONDITIONAL", "orderType": "STOP_MARKET", "symbol": "BTCUSDT", "side": "SELL",
    "positionSide": "BOTH", "quantity": "0.010", "algoStatus": "NEW", "triggerPrice": "41000",
    "closePosition": True, "reduceOnly": True, "createTime": 1750485492076}]), 8)
pos = [{"symbol": "BTCUSDT", "positionSide": "BOTH", "positionAmt": "0.010", "entryPrice": "42000.5",
        "breakEvenPrice": "42010", "markPrice": "42010", "unRealizedProfit": "0.1",
        "liquidationPrice": "30000", "isolatedMargin": "140", "notional": "420.1",
        "marginAsset": "USDT", "isolatedWallet": "140", "updateTime": 1720736417660}]
put("fuzz-binance-rest", json.dumps(pos), 9)
put("fuzz-binance-rest", json.dumps(pos), 10)
put("fuzz-binance-rest", json.dumps({"totalWalletBalance": "10000", "totalUnrealizedProfit": "12.5",
    "totalMarginBalance": "10012.5", "availableBalance": "9500", "assets": [{"asset": "USDT",
    "walletBalance": "10000", "unrealizedProfit": "12.5", "marginBalance": "10012.5"}],
    "positions": []}), 11)
put("fuzz-binance-rest", json.dumps([{"symbol": "BTCUSDT", "incomeType": "FUNDING_FEE", "income": "-0.12",
    "asset": "USDT", "info": "FUNDING_FEE", "time": 1570608000000, "tranId": 9689322392,
    "tradeId": ""}]), 12)
put("fuzz-binance-rest", json.dumps({"symbol": "BTCUSDT", "price": "6000.01", "time": 1589437530011}), 13)
put("fuzz-binance-rest", json.dumps({"listenKey": "pqia91ma19a5s61cv6a81va65sdf19v8a65a1a5s61cv6a81va65sdf19v8a65a1"}), 14)
put("fuzz-binance-rest", json.dumps({"code": -1021, "msg": "Timestamp for this request is outside of the recvWindow."}), 11)

# --- Binance WebSocket frames: the combined kline stream.
put("fuzz-binance-ws", json.dumps({"stream": "btcusdt@kline_1m", "data": {
    "e": "kline", "E": 1638747660000, "s": "BTCUSDT", "k": {
        "t": 1638747660000, "T": 1638747719999, "s": "BTCUSDT", "i": "1m", "f": 100, "L": 200,
        "o": "0.0010", "c": "0.0020", "h": "0.0025", "l": "0.0015", "v": "1000", "n": 100,
        "x": True, "q": "1.0000", "V": "500", "Q": "0.500", "B": "123456"}}}))
put("fuzz-binance-ws", json.dumps({"result": None, "id": 1}))

# --- Lua strategies: the shipped ones and scripts that cross every host function.
for p in sorted(glob.glob(os.path.join(ROOT, "strategies", "*.lua"))):
    put("fuzz-lua-host", open(p, "rb").read())
put("fuzz-lua-host", '''return {
  name = "hostcalls", timeframe = "1m", symbols = { "BTCUSDT" }, warmup = 5,
  params = { n = { default = 3, min = 1, max = 10, step = 1 }, flag = { default = true },
             mode = { default = "a", choices = { "a", "b" } } },
  init = function(ctx) ctx.state.sma = wick.sma(ctx.params.n) end,
  on_candle = function(ctx, c)
    local v = ctx.state.sma:update(c.close)
    local h = ctx:history("BTCUSDT", 3)
    if not ctx:position("BTCUSDT") then
      ctx:enter{ symbol = "BTCUSDT", side = "long", stop = c.close * 0.98, take = c.close * 1.04 }
      ctx:enter{ symbol = "BTCUSDT", side = "short", limit = c.close * 1.01, stop = c.close * 1.03 }
    else
      ctx:exit{ symbol = "BTCUSDT", fraction = 0.5 }
    end
    for _, o in ipairs(ctx:orders("BTCUSDT")) do ctx:cancel(o.id) end
    ctx:log("v", v, #h, string.find("abcabc", "(b)(c)"), table.concat({1, 2}, ","))
    local t = { 5, 3, 9, 1 }; table.sort(t, function(a, b) return a > b end)
  end,
}
''')

# --- Dashboard: urlencoded bodies and Cookie headers.
put("fuzz-dashboard", "token=s3cr3t%20t0ken&csrf=3f2a9c&next=%2Fruns%2F12")
put("fuzz-dashboard", "csrf=abc&command=pause&run=7&params%5Bperiod%5D=120&note=a+b%2Bc")
put("fuzz-dashboard", "wick_session=6b1f0e0c2d9a4f7e; theme=dark\nother=1; wick_session=")

# --- Dashboard routes: whole requests as a browser (or an attacker) sends them. `<fz` marks what
# must never reach a page unescaped.
def request(method, target, headers=(), body=""):
    head = [f"{method} {target} HTTP/1.1", "Host: 127.0.0.1:8080", *headers]
    if body:
        head.append(f"Content-Length: {len(body.encode())}")
        head.append("Content-Type: application/x-www-form-urlencoded")
    put("fuzz-dashboard-routes", "\r\n".join(head) + "\r\n\r\n" + body)

for target in ["/", "/runs", "/runs/1", "/runs/1/report", "/runs/1/events?after=0-0",
               "/sweeps", "/sweeps/1?sort=<fz>&dir=asc", "/metrics", "/assets/dashboard.css",
               "/runs/<fz>", "/runs/1/../../etc/passwd", "/assets/..%2f..%2fwick.sqlite",
               "/runs/99999999999999999999", "/runs?next=<fz>"]:
    request("GET", target)
request("HEAD", "/runs/1")
request("GET", "/runs/1", ["Cookie: wick_session=<fz>; wick_session=x"])
request("GET", "/runs/1/events", ["Last-Event-ID: <fz>-1"])
request("POST", "/login", ["Origin: http://127.0.0.1:8080", "Cookie: wick_session=0123"],
        "csrf=<fz>&next=%2Fruns%2F1&token=guess")
request("POST", "/login", ["Sec-Fetch-Site: cross-site"], "csrf=a&next=//evil.example&token=x")
request("POST", "/logout", ["Origin: null"], "csrf=a")
request("POST", "/runs/1/commands", ["Origin: http://127.0.0.1:8080"],
        "csrf=a&command=set_params&param.period=<fz>&note=<fz>")
request("POST", "/runs/1/commands", [], "command=pause")
