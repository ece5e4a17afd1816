public import Foundation

/// An assessment report: findings plus the visual evidence behind them, with everything needed
/// to reproduce it (command, seed, parameters, versions).
public struct Report: Codable, Sendable {
    /// Schema version of `report.json`.
    public var schemaVersion = 1
    /// Heading of the report, e.g. `Evasion assessment`.
    public var title: String
    /// Tool name and version that produced the report.
    public var tool: String
    /// Version of the tool that produced the report.
    public var toolVersion: String
    /// ISO 8601 time of creation.
    public var createdAt: String
    /// The command line that produced the report.
    public var command: String
    /// The seed of the run's randomness; `nil` when the run drew none.
    public var seed: UInt64?
    /// Parameters of the run, as shown to the reader.
    public var parameters: [String: String]
    /// Versions and machine facts (OS, processor count, BLAS).
    public var environment: [String: String]
    /// The findings, in the order the assessment produced them (see ``sortedFindings``).
    public var findings: [Finding]
    /// The evidence: charts, tables and image grids, in reading order.
    public var sections: [Section]

    /// A report made now (or at `createdAt`) by `bulwark`, recording this machine's environment.
    public init(title: String, toolVersion: String, command: String, seed: UInt64?, parameters: [String: String] = [:],
                findings: [Finding] = [], sections: [Section] = [], createdAt: Date = Date()) {
        self.title = title
        self.tool = "bulwark"
        self.toolVersion = toolVersion
        self.createdAt = ISO8601DateFormatter().string(from: createdAt)
        self.command = command
        self.seed = seed
        self.parameters = parameters
        self.environment = Report.currentEnvironment()
        self.findings = findings
        self.sections = sections
    }

    /// Findings sorted most severe first (stable within a severity).
    public var sortedFindings: [Finding] {
        findings.enumerated().sorted { a, b in
            a.element.severity != b.element.severity ? a.element.severity > b.element.severity : a.offset < b.offset
        }.map(\.element)
    }

    static func currentEnvironment() -> [String: String] {
        let info = ProcessInfo.processInfo
        return [
            "os": info.operatingSystemVersionString,
            "processors": String(info.activeProcessorCount),
            "memory_gib": String(format: "%.1f", Double(info.physicalMemory) / 1_073_741_824),
        ]
    }
}

/// A titled part of a report holding charts, tables and image grids.
public struct Section: Codable, Sendable {
    /// Heading of the section.
    public var title: String
    /// Prose shown under the heading, when there is any.
    public var text: String?
    /// Charts, shown in order after the text.
    public var charts: [LineChart]
    /// Tables, shown in order after the charts.
    public var tables: [Table]
    /// Image grids, shown in order after the tables.
    public var imageGrids: [ImageGrid]

    /// A section; every part but the title is optional.
    public init(title: String, text: String? = nil, charts: [LineChart] = [], tables: [Table] = [], imageGrids: [ImageGrid] = []) {
        self.title = title
        self.text = text
        self.charts = charts
        self.tables = tables
        self.imageGrids = imageGrids
    }
}

/// A line chart: one or more series of (x, y) points.
public struct LineChart: Codable, Sendable {
    /// One curve: measured points joined in x order, or a reference line.
    public struct Series: Codable, Sendable {
        /// Legend text.
        public var name: String
        /// The measured points (only these are drawn as markers).
        public var points: [Point]
        /// A reference line that was not measured (chance, a target): drawn dashed and grey,
        /// without markers, and labelled "(reference)" in the legend.
        public var reference: Bool

        /// A series of measured points, or a reference line when `reference` is set.
        public init(name: String, points: [Point], reference: Bool = false) {
            self.name = name
            self.points = points
            self.reference = reference
        }

        enum CodingKeys: String, CodingKey { case name, points, reference }

        /// Decodes a series; `reference` defaults to `false` for reports written before it existed.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            name = try c.decode(String.self, forKey: .name)
            points = try c.decode([Point].self, forKey: .points)
            reference = try c.decodeIfPresent(Bool.self, forKey: .reference) ?? false
        }
    }
    /// A point (x, y).
    public struct Point: Codable, Sendable, Equatable {
        /// Horizontal coordinate.
        public var x: Double
        /// Vertical coordinate.
        public var y: Double
        /// The point (x, y).
        public init(_ x: Double, _ y: Double) {
            self.x = x
            self.y = y
        }
    }
    /// Title above the plot.
    public var title: String
    /// Axis labels.
    public var xLabel: String, yLabel: String
    /// The curves, drawn in order, each with its own colour, dash pattern and marker shape so
    /// that curves lying on top of one another stay distinguishable.
    public var series: [Series]
    /// Fixed y range (e.g. 0…1 for accuracies); computed from the data when `nil`.
    public var yRange: ClosedRange<Double>?

    /// A chart.
    public init(title: String, xLabel: String, yLabel: String, series: [Series], yRange: ClosedRange<Double>? = nil) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
        self.yRange = yRange
    }
}

/// A table of text cells.
public struct Table: Codable, Sendable {
    /// Caption above the table.
    public var title: String
    /// Column headings.
    public var columns: [String]
    /// The cells, row by row; each row has one cell per column.
    public var rows: [[String]]
    /// A table of `rows` under `columns`.
    public init(title: String, columns: [String], rows: [[String]]) {
        self.title = title
        self.columns = columns
        self.rows = rows
    }
}

/// A grid of small grayscale images, one row per example (e.g. original, adversarial, difference).
public struct ImageGrid: Codable, Sendable {
    /// One example: its images, one per column.
    public struct Row: Codable, Sendable {
        /// The images, left to right.
        public var images: [GrayImage]
        /// A row of `images`.
        public init(images: [GrayImage]) { self.images = images }
    }
    /// Caption above the grid.
    public var title: String
    /// Column headings (e.g. `original`, `adversarial`, `difference`).
    public var columns: [String]
    /// The examples, top to bottom.
    public var rows: [Row]
    /// A grid of `rows` under `columns`.
    public init(title: String, columns: [String], rows: [Row]) {
        self.title = title
        self.columns = columns
        self.rows = rows
    }
}

/// An 8-bit grayscale image with a caption.
public struct GrayImage: Codable, Sendable, Equatable {
    /// Size in pixels.
    public var width: Int, height: Int
    /// Row-major pixels, `width × height` of them.
    public var pixels: [UInt8]
    /// Text under the image (e.g. the predicted label); may be empty.
    public var caption: String

    /// An image from values in `[low, high]` (clamped), row-major.
    public init(width: Int, height: Int, values: [Float], low: Float = 0, high: Float = 1, caption: String = "") {
        precondition(values.count == width * height, "GrayImage: \(values.count) values for \(width)×\(height)")
        self.width = width
        self.height = height
        let span = max(high - low, .leastNonzeroMagnitude)
        pixels = values.map { v in
            let t = ((v - low) / span).isFinite ? min(max((v - low) / span, 0), 1) : 0
            return UInt8((t * 255).rounded())
        }
        self.caption = caption
    }

    enum CodingKeys: String, CodingKey { case width, height, pixels, caption }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        width = try c.decode(Int.self, forKey: .width)
        height = try c.decode(Int.self, forKey: .height)
        caption = try c.decode(String.self, forKey: .caption)
        guard let data = Data(base64Encoded: try c.decode(String.self, forKey: .pixels)), data.count == width * height else {
            throw DecodingError.dataCorruptedError(forKey: .pixels, in: c, debugDescription: "pixels must be base64 of width×height bytes")
        }
        pixels = [UInt8](data)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(width, forKey: .width)
        try c.encode(height, forKey: .height)
        try c.encode(Data(pixels).base64EncodedString(), forKey: .pixels)
        try c.encode(caption, forKey: .caption)
    }
}
