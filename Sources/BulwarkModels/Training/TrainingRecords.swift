/// Public initialisers for the trainer's records, so that training loops built in other
/// modules (adversarial training, DP training) report progress and epochs in the same types.
extension EpochSummary {
    /// A summary of a finished epoch.
    public init(recordingEpoch epoch: Int, loss: Double, trainAccuracy: Double, seconds: Double, imagesPerSecond: Double) {
        self.init(epoch: epoch, loss: loss, trainAccuracy: trainAccuracy, seconds: seconds, imagesPerSecond: imagesPerSecond)
    }
}

extension TrainingProgress {
    /// A progress report after a step.
    public init(reportingEpoch epoch: Int, epochs: Int, step: Int, stepsPerEpoch: Int, loss: Double, accuracy: Double,
                imagesPerSecond: Double, secondsRemaining: Double) {
        self.init(epoch: epoch, epochs: epochs, step: step, stepsPerEpoch: stepsPerEpoch, loss: loss, accuracy: accuracy,
                  imagesPerSecond: imagesPerSecond, secondsRemaining: secondsRemaining)
    }
}
