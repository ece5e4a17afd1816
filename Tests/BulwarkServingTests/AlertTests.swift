import BulwarkServing
import Foundation
import Testing

@Test func alertJSONHasSortedKeysISODatesAndRoundTrips() throws {
    let time = Date(timeIntervalSince1970: 1_796_000_000.25)
    let alert = Alert(kind: .extraction, model: "mnist@3", severity: .critical, message: "client c1 looks like Knockoff",
                      details: ["client": "c1", "score": "0.93"], time: time, id: "A1")
    let text = String(decoding: alert.jsonBytes(), as: UTF8.self)
    #expect(text == #"{"details":{"client":"c1","score":"0.93"},"id":"A1","kind":"extraction","message":"client c1 looks like Knockoff","model":"mnist@3","severity":"critical","time":"2026-11-30T00:53:20.250Z"}"#)
    #expect(try Alert.decode(alert.jsonBytes()) == alert)
    #expect(throws: ServingError.self) { try Alert.decode(Array("{}".utf8)) }
    // Any time survives the round trip: alerts keep milliseconds, as their JSON does.
    for seconds in [0.0, 1_796_000_000.0007, 1_796_000_000.9996, Date().timeIntervalSince1970, -1.5] {
        let alert = Alert(kind: .drift, model: "m", severity: .info, message: "x", time: Date(timeIntervalSince1970: seconds))
        #expect(try Alert.decode(alert.jsonBytes()) == alert, "\(seconds): \(String(decoding: alert.jsonBytes(), as: UTF8.self))")
    }
    #expect(AlertSeverity.info < .warning && AlertSeverity.warning < .critical)
    #expect(Alert(kind: .drift, model: "m", severity: .info, message: "x").id != Alert(kind: .drift, model: "m", severity: .info, message: "x").id)
}
