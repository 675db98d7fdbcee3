import NIOHTTP1
import Testing

/// The route tests read every answer through `LoopbackClient.parse`: a parser that dropped a
/// header or accepted half a body would let a broken page pass.
@Suite struct LoopbackClientTests {
  static func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

  @Test func aSizedAnswerKeepsEveryHeaderFieldInOrder() throws {
    let r = try LoopbackClient.parse(
      Self.bytes(
        "HTTP/1.1 303 See Other\r\nLocation: /runs\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nContent-Length: 5\r\n\r\nhello"
      ))
    #expect(r.status == .seeOther)
    #expect(r.headers.first(name: "Location") == "/runs")
    #expect(r.headers["Set-Cookie"] == ["a=1", "b=2"])
    #expect(r.text == "hello")
  }

  @Test func aChunkedAnswerIsReassembled() throws {
    let r = try LoopbackClient.parse(
      Self.bytes(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n7\r\nevent: \r\n5;x=y\r\nstate\r\n0\r\n\r\n"
      ))
    #expect(r.status == .ok)
    #expect(r.text == "event: state")
  }

  @Test func anAnswerCutShortIsAnErrorNotAShorterPage() {
    for cut in [
      "", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",
      "SSH-2.0-OpenSSH\r\n\r\n",
    ] {
      #expect(throws: LoopbackClient.Failure.self, "\(cut.debugDescription)") {
        try LoopbackClient.parse(Self.bytes(cut))
      }
    }
  }

  @Test func theRequestTargetGoesOutAsWritten() {
    let request = LoopbackClient.request(
      uri: "/runs/..%2F..\\x", method: .POST, host: "127.0.0.1:9",
      headers: ["Origin": "http://127.0.0.1:9"], body: Self.bytes("a=1"))
    #expect(
      String(decoding: request, as: UTF8.self)
        == "POST /runs/..%2F..\\x HTTP/1.1\r\nHost: 127.0.0.1:9\r\nOrigin: http://127.0.0.1:9\r\nContent-Length: 3\r\nConnection: close\r\n\r\na=1"
    )
  }
}
