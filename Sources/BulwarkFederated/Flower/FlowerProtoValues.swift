import Foundation
import SwiftProtobuf

/// Conversions between Bulwark's record values and their Flower protobuf messages.
enum FlowerProtoValues {
    static func proto(_ value: FlowerMetricValue) -> Flwr_Proto_MetricRecordValue {
        var out = Flwr_Proto_MetricRecordValue()
        switch value {
        case .double(let v): out.double = v
        case .int(let v): out.sint64 = v
        case .uint(let v): out.uint64 = v
        case .doubles(let v): out.doubleList = .with { $0.vals = v }
        case .ints(let v): out.sintList = .with { $0.vals = v }
        case .uints(let v): out.uintList = .with { $0.vals = v }
        }
        return out
    }

    static func value(_ proto: Flwr_Proto_MetricRecordValue, name: String) throws(FederatedError) -> FlowerMetricValue {
        switch proto.value {
        case .double(let v): .double(v)
        case .sint64(let v): .int(v)
        case .uint64(let v): .uint(v)
        case .doubleList(let v): .doubles(v.vals)
        case .sintList(let v): .ints(v.vals)
        case .uintList(let v): .uints(v.vals)
        case nil: throw FederatedError(.malformed, "Flower metric \(name.prefix(60)): no value")
        }
    }

    static func proto(_ value: FlowerConfigValue) -> Flwr_Proto_ConfigRecordValue {
        var out = Flwr_Proto_ConfigRecordValue()
        switch value {
        case .double(let v): out.double = v
        case .int(let v): out.sint64 = v
        case .uint(let v): out.uint64 = v
        case .bool(let v): out.bool = v
        case .string(let v): out.string = v
        case .bytes(let v): out.bytes = Data(v)
        case .doubles(let v): out.doubleList = .with { $0.vals = v }
        case .ints(let v): out.sintList = .with { $0.vals = v }
        case .uints(let v): out.uintList = .with { $0.vals = v }
        case .bools(let v): out.boolList = .with { $0.vals = v }
        case .strings(let v): out.stringList = .with { $0.vals = v }
        case .byteStrings(let v): out.bytesList = .with { $0.vals = v.map { Data($0) } }
        }
        return out
    }

    static func value(_ proto: Flwr_Proto_ConfigRecordValue, name: String) throws(FederatedError) -> FlowerConfigValue {
        switch proto.value {
        case .double(let v): .double(v)
        case .sint64(let v): .int(v)
        case .uint64(let v): .uint(v)
        case .bool(let v): .bool(v)
        case .string(let v): .string(v)
        case .bytes(let v): .bytes([UInt8](v))
        case .doubleList(let v): .doubles(v.vals)
        case .sintList(let v): .ints(v.vals)
        case .uintList(let v): .uints(v.vals)
        case .boolList(let v): .bools(v.vals)
        case .stringList(let v): .strings(v.vals)
        case .bytesList(let v): .byteStrings(v.vals.map { [UInt8]($0) })
        case nil: throw FederatedError(.malformed, "Flower config \(name.prefix(60)): no value")
        }
    }
}
