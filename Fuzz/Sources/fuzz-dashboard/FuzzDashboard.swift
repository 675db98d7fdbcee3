import FuzzSupport

@testable import WickServer

/// What a browser sends the dashboard: an urlencoded POST body (login, CSRF token, commands)
/// and the Cookie header the session id is read from.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDashboard(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
  let text = FuzzInput(data, count).text
  let form = Dashboard.parseForm(text)
  _ = form["csrf"]
  let headers = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
  _ = Request.cookie(SessionStore.cookieName, in: headers)
  return 0
}

/// The process's entry point: SwiftPM links `main` to `fuzz_dashboard_main`.
@_cdecl("fuzz_dashboard_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>)
  -> CInt
{
  runFuzzer(argc, argv, fuzzDashboard)
}
