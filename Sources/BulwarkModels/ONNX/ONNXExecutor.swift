import Foundation
import BulwarkTensor

/// Runs a validated `ONNXGraph` on a tape, node by node, checking every shape before it calls a
/// tensor op (so a hostile graph throws instead of trapping).
struct ONNXExecutor {
    let graph: ONNXGraph
    /// Which nodes run fused; see ``ONNXExecutionPlan``.
    let plan: ONNXExecutionPlan
    /// Indices of Relu nodes whose only consumer is the MaxPool node right after them.
    var reluBeforeMaxPool: Set<Int> { plan.reluBeforeMaxPool }
    /// Conv nodes whose output only a MaxPool reads: the index of that MaxPool.
    var convBeforeMaxPool: [Int: Int] { plan.convBeforeMaxPool }

    /// An executor of `graph` with the plan made for it (``ONNXModel`` keeps one: the plan depends
    /// only on the nodes, which training does not change).
    init(graph: ONNXGraph, plan: ONNXExecutionPlan) {
        self.graph = graph
        self.plan = plan
    }

    /// An executor of `graph`, its plan made now.
    init(graph: ONNXGraph) {
        self.init(graph: graph, plan: ONNXExecutionPlan(graph: graph))
    }

    func run(_ input: Variable) throws(ONNXError) -> Variable {
        try run(input, parameters: [:], training: false).output
    }

    /// Runs the graph with the initializers named in `parameters` replaced by those variables (so
    /// gradients reach them). In training mode `BatchNormalization` uses batch statistics and the
    /// new running statistics are returned under their initializer names. With `taps`, the
    /// output of every node it names is recorded and tapped (per-example gradients for DP-SGD).
    func run(_ input: Variable, parameters: [String: Variable], training: Bool, taps: ONNXTapRecorder? = nil) throws(ONNXError)
        -> (output: Variable, bufferUpdates: [String: Tensor]) {
        let tape = input.tape
        var env: [String: ONNXValue] = [:]
        var updates: [String: Tensor] = [:]
        for (name, c) in graph.initializers {
            if let p = parameters[name] {
                env[name] = .float(p)
                continue
            }
            switch c {
            case .float(let t): env[name] = .float(tape.constant(t))
            case .ints(let s, let v): env[name] = .ints(shape: s, values: v)
            }
        }
        guard let inputName = graph.inputs.first?.name else { throw ONNXError(.invalidGraph, "the graph has no input") }
        env[inputName] = .float(input)
        var i = 0
        while i < graph.nodes.count {
            let node = graph.nodes[i]
            if let poolAt = convBeforeMaxPool[i], taps?.nodes[i] == nil {
                let pool = graph.nodes[poolAt]
                let (x, w, bias, g, groups) = try convOperands(node, env, tape: tape)
                let (oh, ow) = g.outputSize(height: x.shape[2], width: x.shape[3])
                let p = try poolGeometry(pool, input: [x.shape[0], w.shape[0], oh, ow])
                // the Relu between them, if any, after the pooling as above
                let y = conv2dMaxPool(x, weight: w, bias: bias, geometry: g, groups: groups, pool: p, relu: poolAt == i + 2)
                env[pool.outputs[0]] = .float(y)
                i = poolAt + 1
                continue
            }
            if reluBeforeMaxPool.contains(i) {
                // MaxPool reads the Relu's output name: bind it to the Relu's input, pool, then ReLU
                let pool = graph.nodes[i + 1]
                env[node.outputs[0]] = try value(node, 0, env)
                guard case .float(let pooled)? = try execute(pool, env: env, tape: tape).first else {
                    throw fail(pool, "pooling produced no float output")
                }
                env[node.outputs[0]] = nil
                env[pool.outputs[0]] = .float(pooled.relu())
                i += 2
                continue
            }
            var outs = training && node.opType == "BatchNormalization"
                ? [.float(try batchNormTraining(node, env, tape: tape, updates: &updates))]
                : try execute(node, env: env, tape: tape)
            if let taps, let spec = taps.nodes[i], case .float(let y)? = outs.first {
                outs[0] = .float(try taps.tap(spec, node: node, output: y, env: env, executor: self))
            }
            for (name, v) in zip(node.outputs, outs) where !name.isEmpty { env[name] = v }
            i += 1
        }
        guard let outName = graph.outputs.first?.name, let out = env[outName] else {
            throw ONNXError(.invalidGraph, "the graph has no output value")
        }
        guard case .float(let v) = out else { throw ONNXError(.unsupported, "graph output '\(outName)' is not a float tensor") }
        return (v, updates)
    }

    /// Training-mode batch normalisation: batch statistics (biased variance) normalise; the running
    /// statistics, when they are initializers, become `m · old + (1 − m) · batch` with ONNX's
    /// `momentum` m (PyTorch's 1 − m) and the unbiased batch variance, as `torch.nn.BatchNorm2d` does.
    func batchNormTraining(_ node: ONNXNode, _ env: [String: ONNXValue], tape: Tape,
                           updates: inout [String: Tensor]) throws(ONNXError) -> Variable {
        let x = try floatInput(node, 0, env, tape: tape)
        guard x.shape.count >= 2 else { throw fail(node, "expects N×C×…, got \(x.shape)") }
        let c = x.shape[1]
        let params = try (1...4).map { (i) throws(ONNXError) in try floatInput(node, i, env, tape: tape) }
        guard params.allSatisfy({ $0.shape == [c] }) else { throw fail(node, "scale, bias, mean and var must be [\(c)]") }
        let momentum = try node.float("momentum", default: 0.9)
        let (runningMean, runningVariance) = (params[2].value.scalars, params[3].value.scalars)
        let (y, mean, variance) = batchNorm(x, scale: params[0], offset: params[1], runningMean: runningMean,
                                            runningVariance: runningVariance,
                                            epsilon: try node.float("epsilon", default: 1e-5), training: true)
        let m = x.value.count / max(c, 1)
        let unbiased = m > 1 ? Float(m) / Float(m - 1) : 1
        let keep = momentum, take = 1 - momentum
        if graph.initializers[node.inputs[3]] != nil {
            updates[node.inputs[3]] = Tensor((0..<c).map { keep * runningMean[$0] + take * mean[$0] })
        }
        if graph.initializers[node.inputs[4]] != nil {
            updates[node.inputs[4]] = Tensor((0..<c).map { keep * runningVariance[$0] + take * variance[$0] * unbiased })
        }
        return y
    }

    // MARK: helpers

    func fail(_ node: ONNXNode, _ what: String) -> ONNXError {
        ONNXError(.shapeMismatch, "node '\(node.label)' (\(node.opType)): \(what)")
    }

    func value(_ node: ONNXNode, _ i: Int, _ env: [String: ONNXValue]) throws(ONNXError) -> ONNXValue? {
        guard i < node.inputs.count, !node.inputs[i].isEmpty else { return nil }
        guard let v = env[node.inputs[i]] else { throw fail(node, "input '\(node.inputs[i])' has no value") }
        return v
    }

    func floatInput(_ node: ONNXNode, _ i: Int, _ env: [String: ONNXValue], tape: Tape) throws(ONNXError) -> Variable {
        guard let v = try value(node, i, env) else { throw fail(node, "input \(i) is missing") }
        switch v {
        case .float(let x): return x
        case .ints(let s, let vals): return tape.constant(Tensor(shape: s, scalars: vals.map { Float($0) }))
        }
    }

    func intsInput(_ node: ONNXNode, _ i: Int, _ env: [String: ONNXValue]) throws(ONNXError) -> [Int]? {
        guard let v = try value(node, i, env) else { return nil }
        switch v {
        case .ints(_, let vals): return vals
        case .float(let x):
            // Integer data computed in float (rare); accept only exact integers.
            let s = x.value.scalars
            guard s.allSatisfy({ $0 == $0.rounded() && abs($0) < 1e9 }) else { throw fail(node, "input \(i) must hold integers") }
            return s.map { Int($0) }
        }
    }

    func normAxis(_ node: ONNXNode, _ a: Int, rank: Int) throws(ONNXError) -> Int {
        let r = a < 0 ? a + rank : a
        guard r >= 0, r < max(rank, 1) else { throw fail(node, "axis \(a) out of range for rank \(rank)") }
        return r
    }

    func checkedCount(_ node: ONNXNode, _ shape: [Int]) throws(ONNXError) -> Int {
        guard shape.allSatisfy({ $0 >= 0 }), let c = Tensor.checkedElementCount(shape), c <= graph.maxValueElements else {
            throw fail(node, "result shape \(shape) is invalid or too large")
        }
        return c
    }

    // MARK: nodes

    func execute(_ node: ONNXNode, env: [String: ONNXValue], tape: Tape) throws(ONNXError) -> [ONNXValue] {
        switch node.opType {
        case "Identity", "Dropout":
            guard let v = try value(node, 0, env) else { throw fail(node, "input 0 is missing") }
            return [v]
        case "Constant":
            if let a = node.attributes["value"], case .tensor(let c) = a {
                switch c {
                case .float(let t): return [.float(tape.constant(t))]
                case .ints(let s, let v): return [.ints(shape: s, values: v)]
                }
            }
            if let a = node.attributes["value_float"], case .float(let f) = a { return [.float(tape.constant(Tensor(f)))] }
            if let a = node.attributes["value_floats"], case .floats(let f) = a { return [.float(tape.constant(Tensor(f)))] }
            if let a = node.attributes["value_int"], case .int(let i) = a { return [.ints(shape: [], values: [i])] }
            if let a = node.attributes["value_ints"], case .ints(let i) = a { return [.ints(shape: [i.count], values: i)] }
            throw ONNXError(.unsupported, "node '\(node.label)' (Constant): no supported value attribute")
        case "ConstantOfShape":
            guard let dims = try intsInput(node, 0, env) else { throw fail(node, "input 0 (the shape) is missing") }
            _ = try checkedCount(node, dims)
            var fill: ONNXConstant = .float(Tensor(0))
            if let a = node.attributes["value"] {
                guard case .tensor(let c) = a else { throw fail(node, "attribute 'value' must be a tensor") }
                fill = c
            }
            switch fill {
            case .float(let t):
                guard t.count == 1 else { throw fail(node, "attribute 'value' must hold one element, got \(t.shape)") }
                return [.float(tape.constant(Tensor(shape: dims, scalars: [Float](repeating: t.scalars[0], count: Tensor.elementCount(dims)))))]
            case .ints(_, let v):
                guard v.count == 1 else { throw fail(node, "attribute 'value' must hold one element, got \(v.count)") }
                return [.ints(shape: dims, values: [Int](repeating: v[0], count: Tensor.elementCount(dims)))]
            }
        case "Add", "Sub", "Mul", "Div":
            return [try binary(node, env, tape: tape)]
        case "Neg", "Sqrt", "Exp", "Log", "Relu", "Sigmoid", "Tanh", "Erf", "LeakyRelu", "Elu":
            let x = try floatInput(node, 0, env, tape: tape)
            switch node.opType {
            case "Neg": return [.float(-x)]
            case "Sqrt": return [.float(x.squareRoot())]
            case "Exp": return [.float(x.exp())]
            case "Log": return [.float(x.log())]
            case "Relu": return [.float(x.relu())]
            case "Sigmoid": return [.float(x.sigmoid())]
            case "Tanh": return [.float(x.tanh())]
            case "Erf": return [.float(x.erf())]
            case "LeakyRelu": return [.float(x.leakyRelu(alpha: try node.float("alpha", default: 0.01)))]
            default: return [.float(x.elu(alpha: try node.float("alpha", default: 1)))]
            }
        case "Pow":
            let x = try floatInput(node, 0, env, tape: tape)
            let p = try floatInput(node, 1, env, tape: tape)
            guard p.value.count == 1, !p.requiresGradient else {
                throw ONNXError(.unsupported, "node '\(node.label)' (Pow): only a constant scalar exponent is supported")
            }
            return [.float(x.pow(p.value.scalars[0]))]
        case "Clip":
            let x = try floatInput(node, 0, env, tape: tape)
            var lo = -Float.greatestFiniteMagnitude, hi = Float.greatestFiniteMagnitude
            if try value(node, 1, env) != nil { lo = try scalar(node, 1, env, tape: tape) }
            if try value(node, 2, env) != nil { hi = try scalar(node, 2, env, tape: tape) }
            guard lo <= hi else { throw fail(node, "min \(lo) is above max \(hi)") }
            return [.float(x.clipped(min: lo, max: hi))]
        case "Softmax", "LogSoftmax":
            let x = try floatInput(node, 0, env, tape: tape)
            let axis = try normAxis(node, try node.int("axis", default: -1), rank: x.shape.count)
            return [.float(node.opType == "Softmax" ? x.softmax(axis: axis) : x.logSoftmax(axis: axis))]
        case "MatMul":
            let a = try floatInput(node, 0, env, tape: tape), b = try floatInput(node, 1, env, tape: tape)
            guard a.shape.count >= 2, b.shape.count >= 2, a.shape[a.shape.count - 1] == b.shape[b.shape.count - 2] else {
                throw fail(node, "matrix product needs operands of rank ≥ 2 with matching inner sizes, got \(a.shape) × \(b.shape)")
            }
            if a.shape.count == 2 && b.shape.count == 2 { return [.float(matmul(a, b))] }
            if b.shape.count > 2 {
                guard let batch = Tensor.broadcastShape(Array(a.shape.dropLast(2)), Array(b.shape.dropLast(2))) else {
                    throw fail(node, "batch axes of \(a.shape) and \(b.shape) do not broadcast")
                }
                _ = try checkedCount(node, batch + [a.shape[a.shape.count - 2], b.shape[b.shape.count - 1]])
                return [.float(batchedMatmul(a, b, batchShape: batch))]
            }
            // [..., M, K] × [K, N]: the leading axes broadcast trivially, so fold them into the rows.
            let lead = Array(a.shape.dropLast())
            let rows = try checkedCount(node, lead)
            _ = try checkedCount(node, lead + [b.shape[1]])
            let y = matmul(a.reshaped([rows, b.shape[0]]), b)
            return [.float(y.reshaped(lead + [b.shape[1]]))]
        case "Gemm": return [.float(try gemm(node, env, tape: tape))]
        case "Conv": return [.float(try conv(node, env, tape: tape))]
        case "MaxPool", "AveragePool": return [.float(try pool(node, env, tape: tape))]
        case "GlobalAveragePool":
            let x = try floatInput(node, 0, env, tape: tape)
            guard x.shape.count == 4 else { throw fail(node, "expects N×C×H×W, got \(x.shape)") }
            return [.float(globalAvgPool2d(x))]
        case "BatchNormalization":
            let x = try floatInput(node, 0, env, tape: tape)
            guard x.shape.count >= 2 else { throw fail(node, "expects N×C×…, got \(x.shape)") }
            let c = x.shape[1]
            let params = try (1...4).map { (i) throws(ONNXError) in try floatInput(node, i, env, tape: tape) }
            guard params.allSatisfy({ $0.shape == [c] }) else { throw fail(node, "scale, bias, mean and var must be [\(c)]") }
            let (y, _, _) = batchNorm(x, scale: params[0], offset: params[1], runningMean: params[2].value.scalars,
                                      runningVariance: params[3].value.scalars,
                                      epsilon: try node.float("epsilon", default: 1e-5), training: false)
            return [.float(y)]
        case "Flatten":
            let x = try value(node, 0, env) ?? .ints(shape: [], values: [])
            let s = x.shape
            let axis = try node.int("axis", default: 1)
            let a = axis < 0 ? axis + s.count : axis
            guard a >= 0, a <= s.count else { throw fail(node, "axis \(axis) out of range for \(s)") }
            return [reshape(x, [s[..<a].reduce(1, *), s[a...].reduce(1, *)])]
        case "Reshape":
            guard let x = try value(node, 0, env), let target = try intsInput(node, 1, env) else { throw fail(node, "needs data and shape") }
            let allowZero = try node.int("allowzero", default: 0) != 0
            return [reshape(x, try resolveReshape(node, x.shape, target, allowZero: allowZero))]
        case "Squeeze", "Unsqueeze":
            guard let x = try value(node, 0, env) else { throw fail(node, "input 0 is missing") }
            let axesInput = try intsInput(node, 1, env), axesAttribute = try node.ints("axes")
            let axes = axesInput ?? axesAttribute ?? []
            var s = x.shape
            if node.opType == "Squeeze" {
                let norm = try Set(axes.map { (a) throws(ONNXError) in try normAxis(node, a, rank: s.count) })
                if axes.isEmpty { s = s.filter { $0 != 1 } } else {
                    for a in norm where s[a] != 1 { throw fail(node, "cannot squeeze axis \(a) of \(x.shape)") }
                    s = s.enumerated().filter { !norm.contains($0.offset) }.map(\.element)
                }
            } else {
                let outRank = s.count + axes.count
                let norm = try axes.map { (a) throws(ONNXError) in try normAxis(node, a, rank: outRank) }.sorted()
                guard Set(norm).count == norm.count else { throw fail(node, "repeated axes \(axes)") }
                for a in norm { s.insert(1, at: a) }
            }
            return [reshape(x, s)]
        case "Transpose":
            let x = try floatInput(node, 0, env, tape: tape)
            let perm = try node.ints("perm") ?? Array((0..<x.shape.count).reversed())
            guard perm.sorted() == Array(0..<x.shape.count) else { throw fail(node, "perm \(perm) is not a permutation of rank \(x.shape.count)") }
            return [.float(x.transposed(perm))]
        case "Concat": return [try concat(node, env, tape: tape)]
        case "Gather": return [try gather(node, env, tape: tape)]
        case "Slice": return [try slice(node, env, tape: tape)]
        case "Pad": return [.float(try pad(node, env, tape: tape))]
        case "ReduceMean", "ReduceSum":
            let x = try floatInput(node, 0, env, tape: tape)
            let fromInput = node.opType == "ReduceSum" || graph.opsetVersion >= 18
            let axesInput = fromInput ? try intsInput(node, 1, env) : nil, axesAttribute = try node.ints("axes")
            let axes = axesInput ?? axesAttribute
            let keep = try node.int("keepdims", default: 1) != 0
            if (axes ?? []).isEmpty, try node.int("noop_with_empty_axes", default: 0) != 0 { return [.float(x)] }
            let norm = try (axes ?? Array(0..<x.shape.count)).map { (a) throws(ONNXError) in try normAxis(node, a, rank: x.shape.count) }
            let unique = Array(Set(norm)).sorted()
            return [.float(node.opType == "ReduceSum" ? x.sum(axes: unique, keepDims: keep) : x.mean(axes: unique, keepDims: keep))]
        case "Shape":
            guard let x = try value(node, 0, env) else { throw fail(node, "input 0 is missing") }
            let s = x.shape
            var start = try node.int("start", default: 0), end = try node.int("end", default: s.count)
            if start < 0 { start += s.count }
            if end < 0 { end += s.count }
            start = min(max(start, 0), s.count); end = min(max(end, start), s.count)
            let dims = Array(s[start..<end])
            return [.ints(shape: [dims.count], values: dims)]
        case "Cast":
            guard let x = try value(node, 0, env) else { throw fail(node, "input 0 is missing") }
            let to = try node.int("to", default: 1)
            switch (to, x) {
            case (1, .float), (11, .float): return [x]
            case (1, .ints(let s, let v)), (11, .ints(let s, let v)): return [.float(tape.constant(Tensor(shape: s, scalars: v.map { Float($0) })))]
            case (6, _), (7, _), (9, _):
                let v = try intsInput(node, 0, env) ?? []
                return [.ints(shape: x.shape, values: to == 9 ? v.map { $0 != 0 ? 1 : 0 } : v)]
            default: throw ONNXError(.unsupported, "node '\(node.label)' (Cast): target type \(ONNXLoader.typeName(to)) is not supported")
            }
        default:
            throw ONNXError(.unsupported, "node '\(node.label)' uses operator \(node.opType), which is not supported")
        }
    }

    func scalar(_ node: ONNXNode, _ i: Int, _ env: [String: ONNXValue], tape: Tape) throws(ONNXError) -> Float {
        let v = try floatInput(node, i, env, tape: tape)
        guard v.value.count == 1 else { throw fail(node, "input \(i) must be a scalar") }
        return v.value.scalars[0]
    }

    func reshape(_ x: ONNXValue, _ shape: [Int]) -> ONNXValue {
        switch x {
        case .float(let v): .float(v.reshaped(shape))
        case .ints(_, let vals): .ints(shape: shape, values: vals)
        }
    }

    func resolveReshape(_ node: ONNXNode, _ inShape: [Int], _ target: [Int], allowZero: Bool) throws(ONNXError) -> [Int] {
        var out = target
        for (i, d) in target.enumerated() where d == 0 && !allowZero {
            guard i < inShape.count else { throw fail(node, "0 at position \(i) of \(target) has no input dimension to copy") }
            out[i] = inShape[i]
        }
        let inferred = out.indices.filter { out[$0] == -1 }
        guard inferred.count <= 1, out.allSatisfy({ $0 >= -1 }) else { throw fail(node, "bad target shape \(target)") }
        let total = try checkedCount(node, inShape)
        if let i = inferred.first {
            let known = try checkedCount(node, out.enumerated().filter { $0.offset != i }.map(\.element))
            guard known > 0, total % known == 0 else { throw fail(node, "cannot reshape \(inShape) to \(target)") }
            out[i] = total / known
        }
        guard try checkedCount(node, out) == total else { throw fail(node, "cannot reshape \(inShape) to \(target)") }
        return out
    }

    func binary(_ node: ONNXNode, _ env: [String: ONNXValue], tape: Tape) throws(ONNXError) -> ONNXValue {
        guard let a = try value(node, 0, env), let b = try value(node, 1, env) else { throw fail(node, "needs two inputs") }
        guard let outShape = Tensor.broadcastShape(a.shape, b.shape) else {
            throw fail(node, "shapes \(a.shape) and \(b.shape) do not broadcast")
        }
        _ = try checkedCount(node, outShape)
        if case .ints(let sa, let va) = a, case .ints(let sb, let vb) = b, sa.count <= 1, sb.count <= 1 {
            // Shape arithmetic on small integer vectors (as exporters emit for Reshape targets).
            let n = outShape.first ?? 1
            func at(_ v: [Int], _ i: Int) -> Int { v.count == 1 ? v[0] : v[i] }
            var out: [Int] = []
            for i in 0..<n {
                let (x, y) = (at(va, i), at(vb, i))
                switch node.opType {
                case "Add": out.append(x &+ y)
                case "Sub": out.append(x &- y)
                case "Mul": out.append(x &* y)
                default:
                    guard y != 0 else { throw fail(node, "integer division by zero") }
                    out.append(x / y)
                }
            }
            return .ints(shape: outShape, values: out)
        }
        let x = try floatInput(node, 0, env, tape: tape), y = try floatInput(node, 1, env, tape: tape)
        switch node.opType {
        case "Add": return .float(x + y)
        case "Sub": return .float(x - y)
        case "Mul": return .float(x * y)
        default: return .float(x / y)
        }
    }

    func gemm(_ node: ONNXNode, _ env: [String: ONNXValue], tape: Tape) throws(ONNXError) -> Variable {
        let a = try floatInput(node, 0, env, tape: tape), b = try floatInput(node, 1, env, tape: tape)
        let ta = try node.int("transA", default: 0) != 0, tb = try node.int("transB", default: 0) != 0
        let alpha = try node.float("alpha", default: 1), beta = try node.float("beta", default: 1)
        guard a.shape.count == 2, b.shape.count == 2 else { throw fail(node, "A and B must be matrices, got \(a.shape), \(b.shape)") }
        let k1 = ta ? a.shape[0] : a.shape[1], k2 = tb ? b.shape[1] : b.shape[0]
        guard k1 == k2 else { throw fail(node, "inner dimensions differ: \(a.shape) × \(b.shape)") }
        let m = ta ? a.shape[1] : a.shape[0], n = tb ? b.shape[0] : b.shape[1]
        var y: Variable
        let hasC = try value(node, 2, env) != nil
        if !ta, tb, alpha == 1, beta == 1 || !hasC {
            // The common Linear layer: one fused sgemm + bias.
            var bias: Variable?
            if let c = try value(node, 2, env) {
                let cv = try floatInput(node, 2, env, tape: tape)
                if c.shape == [n] { bias = cv } else {
                    guard Tensor.broadcastShape(c.shape, [m, n]) == [m, n] else { throw fail(node, "C \(c.shape) does not broadcast to [\(m), \(n)]") }
                    return dense(a, weight: b, bias: nil) + cv
                }
            }
            return dense(a, weight: b, bias: bias)
        }
        y = matmul(a, b, transposeA: ta, transposeB: tb)
        if alpha != 1 { y = y * alpha }
        if try value(node, 2, env) != nil {
            let c = try floatInput(node, 2, env, tape: tape)
            guard Tensor.broadcastShape(c.shape, [m, n]) == [m, n] else { throw fail(node, "C \(c.shape) does not broadcast to [\(m), \(n)]") }
            y = y + (beta == 1 ? c : c * beta)
        }
        return y
    }

    /// Kernel, strides, dilations and pads (top, left, bottom, right) from a 2-D Conv/Pool node.
    func geometry(_ node: ONNXNode, input: [Int], kernel: [Int]) throws(ONNXError) -> Conv2DGeometry {
        guard kernel.count == 2, kernel.allSatisfy({ $0 > 0 && $0 <= 4096 }) else {
            throw ONNXError(.unsupported, "node '\(node.label)' (\(node.opType)): only 2-D windows are supported, kernel \(kernel)")
        }
        let strides = try node.ints("strides") ?? [1, 1]
        let dilations = try node.ints("dilations") ?? [1, 1]
        guard strides.count == 2, dilations.count == 2, (strides + dilations).allSatisfy({ $0 > 0 && $0 <= 4096 }) else {
            throw fail(node, "strides \(strides) / dilations \(dilations) must be two positive values")
        }
        var pads = try node.ints("pads") ?? [0, 0, 0, 0]
        guard pads.count == 4, pads.allSatisfy({ $0 >= 0 && $0 <= 4096 }) else { throw fail(node, "pads \(pads) must be four non-negative values") }
        let autoPad = try node.string("auto_pad", default: "NOTSET")
        switch autoPad {
        case "NOTSET": break
        case "VALID": pads = [0, 0, 0, 0]
        case "SAME_UPPER", "SAME_LOWER":
            for d in 0..<2 {
                let inSize = input[2 + d]
                let outSize = (inSize + strides[d] - 1) / strides[d]
                let effective = (kernel[d] - 1) * dilations[d] + 1
                let total = max(0, (outSize - 1) * strides[d] + effective - inSize)
                let small = total / 2, large = total - small
                pads[d] = autoPad == "SAME_UPPER" ? small : large
                pads[d + 2] = autoPad == "SAME_UPPER" ? large : small
            }
        default: throw ONNXError(.unsupported, "node '\(node.label)' (\(node.opType)): auto_pad \(autoPad) is not supported")
        }
        if try node.int("ceil_mode", default: 0) != 0 {
            // ceil_mode: round the output size up, but drop a last window that would start in the
            // end padding (ONNX/PyTorch rule); realised as extra bottom/right padding, which the
            // pooling kernels skip (max) or leave out of the divisor (average, count_include_pad=0).
            for d in 0..<2 {
                let effective = (kernel[d] - 1) * dilations[d] + 1
                let total = input[2 + d] + pads[d] + pads[d + 2]
                guard total >= effective else { break }  // reported by the fit check below
                var out = (total - effective + strides[d] - 1) / strides[d] + 1
                if (out - 1) * strides[d] >= input[2 + d] + pads[d] { out -= 1 }
                let extra = max(0, (out - 1) * strides[d] + effective - total)
                if extra > 0 {
                    let includePad = try node.int("count_include_pad", default: 0) != 0
                    guard node.opType == "MaxPool" || !includePad else {
                        throw ONNXError(.unsupported, "node '\(node.label)' (AveragePool): ceil_mode=1 with count_include_pad=1 is not supported")
                    }
                    pads[d + 2] += extra
                }
            }
        }
        let g = Conv2DGeometry(kernel: (kernel[0], kernel[1]), stride: (strides[0], strides[1]),
                               padding: (top: pads[0], left: pads[1], bottom: pads[2], right: pads[3]),
                               dilation: (dilations[0], dilations[1]))
        let effH = (kernel[0] - 1) * dilations[0] + 1, effW = (kernel[1] - 1) * dilations[1] + 1
        guard input[2] + pads[0] + pads[2] >= effH, input[3] + pads[1] + pads[3] >= effW else {
            throw fail(node, "window \(kernel) does not fit input \(input) with pads \(pads)")
        }
        return g
    }

    func conv(_ node: ONNXNode, _ env: [String: ONNXValue], tape: Tape) throws(ONNXError) -> Variable {
        let (x, w, bias, g, groups) = try convOperands(node, env, tape: tape)
        return conv2d(x, weight: w, bias: bias, geometry: g, groups: groups)
    }

    /// A Conv node's input, weight, optional bias, geometry and group count, each checked.
    func convOperands(_ node: ONNXNode, _ env: [String: ONNXValue], tape: Tape) throws(ONNXError)
        -> (x: Variable, w: Variable, bias: Variable?, geometry: Conv2DGeometry, groups: Int) {
        let x = try floatInput(node, 0, env, tape: tape), w = try floatInput(node, 1, env, tape: tape)
        guard x.shape.count == 4, w.shape.count == 4 else {
            throw ONNXError(.unsupported, "node '\(node.label)' (Conv): only 2-D convolution is supported, input \(x.shape), weight \(w.shape)")
        }
        let groups = try node.int("group", default: 1)
        guard groups >= 1, x.shape[1] % groups == 0, w.shape[0] % groups == 0, w.shape[1] * groups == x.shape[1] else {
            throw fail(node, "input \(x.shape), weight \(w.shape) and group \(groups) do not fit")
        }
        if let k = try node.ints("kernel_shape"), k != Array(w.shape[2...]) { throw fail(node, "kernel_shape \(k) differs from weight \(w.shape)") }
        let g = try geometry(node, input: x.shape, kernel: Array(w.shape[2...]))
        var bias: Variable?
        if try value(node, 2, env) != nil {
            let b = try floatInput(node, 2, env, tape: tape)
            guard b.shape == [w.shape[0]] else { throw fail(node, "bias \(b.shape) should be [\(w.shape[0])]") }
            bias = b
        }
        return (x, w, bias, g, groups)
    }

    func pool(_ node: ONNXNode, _ env: [String: ONNXValue], tape: Tape) throws(ONNXError) -> Variable {
        let x = try floatInput(node, 0, env, tape: tape)
        let g = try poolGeometry(node, input: x.shape)
        if node.opType == "MaxPool" { return maxPool2d(x, geometry: g) }
        return avgPool2d(x, geometry: g, countIncludePad: try node.int("count_include_pad", default: 0) != 0)
    }

    /// A pooling node's window over an input of `input` shape, its attributes checked.
    func poolGeometry(_ node: ONNXNode, input: [Int]) throws(ONNXError) -> Conv2DGeometry {
        guard input.count == 4 else { throw ONNXError(.unsupported, "node '\(node.label)' (\(node.opType)): only 2-D pooling is supported, input \(input)") }
        guard let kernel = try node.ints("kernel_shape") else { throw fail(node, "kernel_shape is required") }
        if node.outputs.count > 1, !node.outputs[1].isEmpty {
            throw ONNXError(.unsupported, "node '\(node.label)' (MaxPool): the Indices output is not supported")
        }
        if try node.int("storage_order", default: 0) != 0 { throw ONNXError(.unsupported, "node '\(node.label)': storage_order=1 is not supported") }
        return try geometry(node, input: input, kernel: kernel)
    }

    func concat(_ node: ONNXNode, _ env: [String: ONNXValue], tape: Tape) throws(ONNXError) -> ONNXValue {
        var values: [ONNXValue] = []
        for i in node.inputs.indices { if let v = try value(node, i, env) { values.append(v) } }
        guard let first = values.first else { throw fail(node, "needs at least one input") }
        let axis = try normAxis(node, try node.int("axis", default: 0), rank: first.shape.count)
        for v in values {
            guard v.shape.count == first.shape.count,
                  v.shape.indices.allSatisfy({ $0 == axis || v.shape[$0] == first.shape[$0] }) else {
                throw fail(node, "input shapes \(values.map(\.shape)) do not fit along axis \(axis)")
            }
        }
        if values.allSatisfy({ if case .ints = $0 { true } else { false } }), first.shape.count == 1 {
            var out: [Int] = []
            for v in values { if case .ints(_, let vals) = v { out += vals } }
            return .ints(shape: [out.count], values: out)
        }
        let vars = try node.inputs.indices.map { (i) throws(ONNXError) in try floatInput(node, i, env, tape: tape) }
        _ = try checkedCount(node, [vars.reduce(0) { $0 + $1.value.count }])
        return .float(concatenate(vars, axis: axis))
    }

    func gather(_ node: ONNXNode, _ env: [String: ONNXValue], tape: Tape) throws(ONNXError) -> ONNXValue {
        guard let data = try value(node, 0, env), let idxValue = try value(node, 1, env) else { throw fail(node, "needs data and indices") }
        guard let indices = try intsInput(node, 1, env) else { throw fail(node, "needs indices") }
        let s = data.shape
        guard !s.isEmpty else { throw fail(node, "data must have rank ≥ 1") }
        let axis = try normAxis(node, try node.int("axis", default: 0), rank: s.count)
        var resolved: [Int] = []
        for i in indices {
            let r = i < 0 ? i + s[axis] : i
            guard r >= 0, r < s[axis] else { throw fail(node, "index \(i) out of range for axis \(axis) of size \(s[axis])") }
            resolved.append(r)
        }
        let outShape = Array(s[..<axis]) + idxValue.shape + Array(s[(axis + 1)...])
        _ = try checkedCount(node, outShape)
        // Map through an intermediate of shape s[..<axis] + [k] + s[axis+1...].
        var flatShape = s
        flatShape[axis] = resolved.count
        let table = gatherIndexTable(outShape: flatShape, inShape: s) { a, o in a == axis ? resolved[o] : o }
        switch data {
        case .ints(_, let vals): return .ints(shape: outShape, values: table.map { vals[$0] })
        case .float(let x): return .float(recordIndexed(x, outShape: flatShape, table: table).reshaped(outShape))
        }
    }

    func slice(_ node: ONNXNode, _ env: [String: ONNXValue], tape: Tape) throws(ONNXError) -> ONNXValue {
        guard let data = try value(node, 0, env), let starts = try intsInput(node, 1, env), let ends = try intsInput(node, 2, env) else {
            throw fail(node, "needs data, starts and ends")
        }
        let s = data.shape
        let axes = try intsInput(node, 3, env) ?? Array(0..<starts.count)
        let steps = try intsInput(node, 4, env) ?? [Int](repeating: 1, count: starts.count)
        guard starts.count == ends.count, axes.count == starts.count, steps.count == starts.count else {
            throw fail(node, "starts, ends, axes and steps must have equal lengths")
        }
        var begin = [Int](repeating: 0, count: s.count), step = [Int](repeating: 1, count: s.count), outShape = s
        for (j, a0) in axes.enumerated() {
            let a = try normAxis(node, a0, rank: s.count)
            let dim = s[a], st = steps[j]
            guard st != 0 else { throw fail(node, "step 0 on axis \(a)") }
            func clampIndex(_ v: Int, low: Int, high: Int) -> Int {
                let r = v < 0 ? max(v, -dim) + dim : v
                return min(max(r, low), high)
            }
            let b: Int, e: Int
            if st > 0 {
                b = clampIndex(starts[j], low: 0, high: dim); e = clampIndex(ends[j], low: 0, high: dim)
                outShape[a] = e > b ? (e - b + st - 1) / st : 0
            } else {
                b = clampIndex(starts[j], low: -1, high: dim - 1)
                e = ends[j] < -dim ? -1 : clampIndex(ends[j], low: -1, high: dim - 1)
                outShape[a] = b > e ? (b - e - st - 1) / (-st) : 0
            }
            begin[a] = b; step[a] = st
        }
        _ = try checkedCount(node, outShape)
        let table = gatherIndexTable(outShape: outShape, inShape: s) { a, o in begin[a] + o * step[a] }
        switch data {
        case .ints(_, let vals): return .ints(shape: outShape, values: table.map { vals[$0] })
        case .float(let x): return .float(recordIndexed(x, outShape: outShape, table: table))
        }
    }

    func pad(_ node: ONNXNode, _ env: [String: ONNXValue], tape: Tape) throws(ONNXError) -> Variable {
        let x = try floatInput(node, 0, env, tape: tape)
        guard let pads = try intsInput(node, 1, env) else { throw fail(node, "needs pads") }
        let mode = try node.string("mode", default: "constant")
        guard ["constant", "reflect", "edge"].contains(mode) else {
            throw ONNXError(.unsupported, "node '\(node.label)' (Pad): mode '\(mode)' is not supported")
        }
        let r = x.shape.count
        var fill: Float = 0
        if try value(node, 2, env) != nil { fill = try scalar(node, 2, env, tape: tape) }
        var before = [Int](repeating: 0, count: r), after = [Int](repeating: 0, count: r)
        let axes = try intsInput(node, 3, env) ?? Array(0..<r)
        guard pads.count == 2 * axes.count else { throw fail(node, "pads \(pads) must have two values per axis") }
        for (j, a0) in axes.enumerated() {
            let a = try normAxis(node, a0, rank: r)
            guard abs(pads[j]) <= 1 << 20, abs(pads[j + axes.count]) <= 1 << 20 else { throw fail(node, "pads \(pads) too large") }
            before[a] = pads[j]; after[a] = pads[j + axes.count]
        }
        let outShape = (0..<r).map { x.shape[$0] + before[$0] + after[$0] }
        guard outShape.allSatisfy({ $0 >= 0 }) else { throw fail(node, "pads \(pads) remove more than \(x.shape)") }
        _ = try checkedCount(node, outShape)
        let dims = x.shape
        if mode != "constant" {
            for a in 0..<r where before[a] != 0 || after[a] != 0 {
                guard before[a] >= 0, after[a] >= 0 else { throw fail(node, "negative pads \(pads) are only supported in constant mode") }
                guard dims[a] > 0 else { throw fail(node, "cannot \(mode)-pad the empty axis \(a) of \(dims)") }
                if mode == "reflect" {
                    guard before[a] < dims[a], after[a] < dims[a] else {
                        throw fail(node, "reflect pads \(pads) must be smaller than the padded axis \(a) of \(dims)")
                    }
                }
            }
        }
        let table = gatherIndexTable(outShape: outShape, inShape: dims) { a, o in
            let i = o - before[a], d = dims[a]
            switch mode {
            case "reflect":  // mirror without repeating the edge: [2 1 | 0 1 2 3 | 2 1]
                return i < 0 ? -i : (i >= d ? 2 * (d - 1) - i : i)
            case "edge":
                return min(max(i, 0), d - 1)
            default:
                return i >= 0 && i < d ? i : nil
            }
        }
        return recordIndexed(x, outShape: outShape, table: table, fill: fill)
    }
}

/// The fusions an ``ONNXExecutor`` applies, found from the graph's nodes alone (not its weights),
/// so a model makes them once at load instead of at every forward pass (where the dictionary
/// and set building cost more than a small model's arithmetic at batch 1).
struct ONNXExecutionPlan: Sendable {
    /// Indices of Relu nodes whose only consumer is the MaxPool node right after them; `run`
    /// pools first and applies ReLU to the pooled map (monotone: the same values and gradients,
    /// with ReLU on a quarter of the data for 2×2 windows).
    let reluBeforeMaxPool: Set<Int>
    /// Conv nodes whose output only a MaxPool reads (directly, or through one of the Relu nodes
    /// above): the index of that MaxPool. `run` executes the pair as one ``conv2dMaxPool(_:weight:bias:geometry:groups:pool:relu:)``
    /// (the same values and gradients, without the full-resolution output in memory), unless
    /// per-example taps need the Conv's own output.
    let convBeforeMaxPool: [Int: Int]

    init(graph: ONNXGraph) {
        var consumers: [String: Int] = [:]
        for node in graph.nodes { for name in node.inputs where !name.isEmpty { consumers[name, default: 0] += 1 } }
        let outputs = Set(graph.outputs.map(\.name))
        var fused = Set<Int>()
        for (i, node) in graph.nodes.enumerated().dropLast() where node.opType == "Relu" {
            let next = graph.nodes[i + 1]
            guard node.inputs.count == 1, node.outputs.count == 1, let out = node.outputs.first,
                  next.opType == "MaxPool", next.inputs.first == out, consumers[out] == 1, !outputs.contains(out),
                  next.outputs.dropFirst().allSatisfy(\.isEmpty) else { continue }
            fused.insert(i)
        }
        reluBeforeMaxPool = fused
        var convPool: [Int: Int] = [:]
        for (i, node) in graph.nodes.enumerated() where node.opType == "Conv" && i + 1 < graph.nodes.count {
            guard node.outputs.count == 1, let out = node.outputs.first, consumers[out] == 1, !outputs.contains(out) else { continue }
            let poolAt = fused.contains(i + 1) && graph.nodes[i + 1].inputs.first == out ? i + 2 : i + 1
            let pool = graph.nodes[poolAt]
            guard pool.opType == "MaxPool", pool.inputs.first == (poolAt == i + 1 ? out : graph.nodes[i + 1].outputs[0]),
                  pool.outputs.dropFirst().allSatisfy(\.isEmpty) else { continue }
            convPool[i] = poolAt
        }
        convBeforeMaxPool = convPool
    }
}
