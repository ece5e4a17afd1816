import ArgumentParser
import BulwarkAssessment
import BulwarkData
import BulwarkModels
import BulwarkPrivacy
import BulwarkTensor
import Foundation

/// `bulwark train`: trains a zoo model and reports its test accuracy.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a zoo model (or fine-tune an ONNX model) on Fashion-MNIST or your own data and save it.",
        discussion: """
        Defaults (Adam, learning rate 0.001, batch 128, 3 epochs) reach ≥ 85% test accuracy with \
        mlp and ≥ 88% with cnn on Fashion-MNIST. Progress goes to stderr; the result to stdout.

        With --dp, trains with DP-SGD (Poisson sampling at rate q, per-example clipping to \
        --max-grad-norm, Gaussian noise --noise-multiplier × C) and reports the ε spent (RDP \
        accountant, for --delta) after every epoch on stderr and at the end; ε and every DP \
        parameter are written into the model's metadata. Noise and sampling come from the \
        system CSPRNG unless --insecure-seeded-noise is given (then the model claims no privacy). \
        An ONNX model is fine-tuned with DP-SGD too when every parameter sits in a Gemm \
        (transA 0), a MatMul of a batch × features input, a Conv with group 1 or a bias Add; \
        BatchNormalization, shared weights and other layouts are refused, naming the node. The \
        ONNX file written keeps the imported file's graph and metadata: ε is reported, not stored.

        For encrypted inference (bulwark he infer), train the mlp with one hidden layer and a \
        polynomial activation: --hidden 32 --activation square gives the 784-32-10 network with \
        x² (poly: 0.125x² + 0.5x + 0.25, a degree-2 approximation of ReLU near 0). --hidden takes \
        comma-separated sizes (default 256,128) and, like --activation, applies to --model mlp \
        only; both are recorded in the model file.

        With your own data (--data, --image-folder or --csv), --test-fraction of the examples \
        (a permutation drawn from --seed) is the test split; CSV features are standardised with \
        statistics of the training split, stored in the model for predict/evaluate/privacy audit.

        Examples:
          bulwark train --dataset fashion-mnist --model cnn --out cnn.safetensors
          bulwark train --csv table.csv --label-column target --model tabular --out tabular.safetensors
          bulwark train --image-folder photos --image-size 32x32 --channels 3 --model resnet --out resnet.safetensors
          bulwark train --model mine.onnx --data x.npz --epochs 1 --out mine-tuned.onnx
          bulwark train --model mlp --hidden 32 --activation square --epochs 2 --out mlp-square.safetensors
          bulwark train --model mlp --dp --noise-multiplier 1.0 --max-grad-norm 1 --delta 1e-5 \\
            --sampling-rate 0.004 --epochs 10 --out mlp-dp.safetensors
          bulwark train --model mine.onnx --data x.npz --dp --noise-multiplier 1.0 --max-grad-norm 1 \\
            --delta 1e-5 --epochs 1 --out mine-dp.onnx
        """
    )

    @OptionGroup var training: TrainingOptions

    @Option(help: "mlp only: the hidden layers' sizes, comma-separated (default 256,128; 32 for the encrypted-inference model).")
    var hidden: String?

    @Option(help: "mlp only: the hidden activation (relu, square = x², poly = 0.125x² + 0.5x + 0.25).")
    var activation: ZooActivation = .relu

    @Flag(help: "Train with DP-SGD (needs --noise-multiplier or --target-epsilon, --max-grad-norm and --delta).")
    var dp = false

    @Option(name: .customLong("noise-multiplier"), parsing: .unconditional, help: "DP-SGD: noise standard deviation / clipping norm (σ).")
    var noiseMultiplier: Double?

    @Option(name: .customLong("max-grad-norm"), parsing: .unconditional, help: "DP-SGD: per-example gradient clipping norm (C).")
    var maxGradNorm: Double?

    @Option(parsing: .unconditional, help: "DP-SGD: δ of the reported (ε, δ).")
    var delta: Double?

    @Option(name: .customLong("sampling-rate"), parsing: .unconditional, help: "DP-SGD: Poisson sampling rate q (default: batch size / training examples).")
    var samplingRate: Double?

    @Option(name: .customLong("target-epsilon"), parsing: .unconditional, help: "DP-SGD: refuse to run above this ε; without --noise-multiplier, the smallest σ reaching it.")
    var targetEpsilon: Double?

    @Option(help: "Optimiser.")
    var optimizer: OptimizerChoice = .adam

    @Option(parsing: .unconditional, help: "SGD momentum (with --optimizer sgd).")
    var momentum: Float = 0

    @Flag(name: .customLong("insecure-seeded-noise"), help: "DP-SGD: draw noise and batches from --seed (reproducible, NO privacy guarantee; recorded in the metadata).")
    var insecureSeededNoise = false

    /// The zoo variant `--hidden` and `--activation` ask for (a usage error for anything but mlp).
    func variant() throws -> ZooVariant {
        guard hidden != nil || activation != .relu else { return .standard }
        guard case .zoo(.mlp) = try training.start() else {
            throw ValidationError("--hidden and --activation shape the zoo mlp only; give --model mlp")
        }
        do throws(ModelError) {
            return try ZooVariant(hiddenSizes: hidden.map { text throws(ModelError) in try ZooVariant.parseHiddenSizes(text) }, activation: activation)
        } catch {
            throw ValidationError("--hidden: \(error.message)")
        }
    }

    func validate() throws {
        _ = try variant()
        guard momentum >= 0, momentum < 1 else { throw ValidationError("--momentum must be in [0, 1)") }
        let dpOptions = [noiseMultiplier != nil, maxGradNorm != nil, delta != nil, samplingRate != nil, targetEpsilon != nil, insecureSeededNoise]
        if !dp {
            guard !dpOptions.contains(true) else { throw ValidationError("DP-SGD options need --dp") }
            return
        }
        guard noiseMultiplier != nil || targetEpsilon != nil else {
            throw ValidationError("--dp needs --noise-multiplier (or --target-epsilon to calibrate it): without noise there is no ε")
        }
        guard maxGradNorm != nil else { throw ValidationError("--dp needs --max-grad-norm (the clipping norm C bounds each example's influence)") }
        guard let delta else { throw ValidationError("--dp needs --delta (ε is reported for a δ)") }
        guard delta > 0, delta < 1 else { throw ValidationError("--delta must be in (0, 1)") }
        if let noiseMultiplier { guard noiseMultiplier > 0, noiseMultiplier.isFinite else { throw ValidationError("--noise-multiplier must be a positive number") } }
        if let maxGradNorm { guard maxGradNorm > 0, maxGradNorm.isFinite else { throw ValidationError("--max-grad-norm must be a positive number") } }
        if let samplingRate { guard samplingRate > 0, samplingRate <= 1 else { throw ValidationError("--sampling-rate must be in (0, 1]") } }
        if let targetEpsilon { guard targetEpsilon > 0, targetEpsilon.isFinite else { throw ValidationError("--target-epsilon must be a positive number") } }
    }

    /// The chosen optimiser.
    var chosenOptimizer: ChosenOptimizer {
        switch optimizer {
        case .adam: .adam(Adam(learningRate: training.learningRate))
        case .sgd: .sgd(SGD(learningRate: training.learningRate, momentum: momentum))
        }
    }

    /// Progress of a training epoch, on one line.
    static func progressText(_ p: TrainingProgress) -> String {
        String(format: "epoch %d/%d  step %d/%d  loss %.4f  acc %.4f  %.0f img/s  ETA %@", p.epoch, p.epochs, p.step, p.stepsPerEpoch,
               p.loss, p.accuracy, p.imagesPerSecond, formatDuration(p.secondsRemaining))
    }

    func run() throws {
        configureNumerics()
        let t = training
        var job = TrainJob(prepared: try t.prepare(), configuration: t.configuration, optimizer: chosenOptimizer, seed: t.seed, outputPath: t.out)
        job.variant = try variant()
        if dp { return try runDP(job) }
        let line = ProgressLine(enabled: !t.quiet)
        let outcome = try job.run { p in line.update(Self.progressText(p), force: p.step == p.stepsPerEpoch) }
        line.finish()
        let summary = TrainingSummary(outcome, of: job)
        if t.json { return try printJSON(summary) }
        print(String(format: "test accuracy %.4f (%d examples) — %@ trained %d epoch%@ in %@ → %@", summary.testAccuracy, summary.testImages,
                     summary.model, t.epochs, t.epochs == 1 ? "" : "s", formatDuration(summary.seconds), t.out))
    }
}

extension TrainCommand {
    /// The `--dp` path: DP-SGD with ε reported per epoch and stored in the model's metadata (a
    /// zoo model); an imported ONNX model is fine-tuned the same way and written back as ONNX.
    func runDP(_ job: TrainJob) throws {
        let t = training
        let (trainSet, testSet) = (job.prepared.data.training, job.prepared.data.test)
        let plan: DPSGDPlan
        do {
            plan = try DPSGDPlan(noiseMultiplier: noiseMultiplier, targetEpsilon: targetEpsilon, maxGradientNorm: maxGradNorm ?? 0,
                                 delta: delta ?? 0, samplingRate: samplingRate, batchSize: t.batchSize, examples: trainSet.count,
                                 epochs: t.epochs, randomness: insecureSeededNoise ? .seededInsecure(seed: t.seed) : .secure)
        } catch { throw CLIError(flagMessage(error)) }
        let config = plan.configuration
        if !t.quiet {
            Terminal.note(String(format: "DP-SGD: σ = %.4g, C = %.4g, q = %.4g (expected batch %.1f), %d steps/epoch, planned ε = %.4f at δ = %g%@",
                                 config.noiseMultiplier, config.maxGradientNorm, config.samplingRate,
                                 config.samplingRate * Double(trainSet.count), config.stepsPerEpoch, plan.plannedEpsilon, config.delta,
                                 insecureSeededNoise ? " — SEEDED NOISE, NO PRIVACY GUARANTEE" : ""))
        }
        let line = ProgressLine(enabled: !t.quiet)
        let quiet = t.quiet
        let progress: (DPSGDProgress) -> Void = { p in
            line.update(String(format: "epoch %d/%d  step %d/%d  loss %.4f  acc %.4f  %.0f img/s",
                               p.epoch, p.epochs, p.step, p.stepsPerEpoch, p.loss, p.accuracy, p.imagesPerSecond))
        }
        let epochEnded: (DPSGDEpochSummary) -> Void = { e in
            line.finish()
            if !quiet {
                Terminal.note(String(format: "epoch %d/%d  loss %.4f  train acc %.4f  clipped %.2f  %.1fs  ε = %.4f (δ = %g)",
                                     e.epoch, config.epochs, e.loss, e.trainAccuracy, e.clippedFraction, e.seconds, e.epsilon, config.delta))
            }
        }
        let summary: DPTrainingSummary
        do {
            if case .onnx = job.prepared.start {
                // an imported model: fine-tuned and written back as ONNX (same graph, names, opset, I/O)
                summary = DPTrainingSummary(try job.fineTuneDP(plan, progress: progress, epochEnded: epochEnded), of: job)
            } else {
                summary = DPTrainingSummary(try job.runDP(plan, progress: progress, epochEnded: epochEnded), of: job)
            }
        } catch { throw CLIError(privacyCause(error).map(flagMessage) ?? "\(error)") }
        if t.json { return try printJSON(summary) }
        print(String(format: "test accuracy %.4f (%d examples) — %@ DP-SGD %d epoch%@ in %@ (%.1f s/epoch), ε = %.4f at δ = %g%@ → %@",
                     summary.testAccuracy, testSet.count, summary.model, t.epochs, t.epochs == 1 ? "" : "s",
                     formatDuration(summary.seconds), summary.secondsPerEpoch, summary.epsilon, summary.delta,
                     insecureSeededNoise ? " (seeded noise: no privacy guarantee)" : "", t.out))
    }
}
