// libFuzzer harness: the RFC 4180 parser and the labelled-table loader on arbitrary bytes.
// Properties: no trap; parsed records written back with every field quoted parse to the same
// records; a loaded table has N×F finite inputs and labels inside its classes.
import BulwarkData
import BulwarkTensor

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCSV(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let table = try? CSV.parse(bytes, label: "fuzz.csv", maxFields: 4096) {
        var text: [UInt8] = []
        for record in table.records {
            for (i, field) in record.enumerated() {
                if i > 0 { text.append(0x2C) }
                text.append(0x22)
                for byte in field.utf8 {
                    if byte == 0x22 { text.append(0x22) }
                    text.append(byte)
                }
                text.append(0x22)
            }
            text.append(0x0A)
        }
        guard let again = try? CSV.parse(text, label: "again.csv"), again.records == table.records else {
            fatalError("CSV round trip failed for \(table.records.count) records")
        }
    }
    if let loaded = try? CSVDataset.decode(bytes, label: "fuzz.csv", labelColumn: "label") {
        let x = loaded.dataset.inputs
        guard x.rank == 2, x.shape[0] == loaded.dataset.count, x.shape[1] == loaded.featureNames.count,
              x.scalars.allSatisfy(\.isFinite),
              loaded.dataset.labels.allSatisfy({ $0 >= 0 && $0 < loaded.dataset.classCount }) else {
            fatalError("CSV table invariant broken: shape \(x.shape)")
        }
    }
    return 0
}
