/// MITRE ATLAS techniques Bulwark's findings refer to (https://atlas.mitre.org/techniques).
public enum ATLAS {
    /// Craft Adversarial Data.
    public static let craftAdversarialData = "AML.T0043"
    /// Craft Adversarial Data: White-Box Optimization.
    public static let whiteBoxOptimization = "AML.T0043.000"
    /// Craft Adversarial Data: Black-Box Optimization.
    public static let blackBoxOptimization = "AML.T0043.001"
    /// Evade ML Model.
    public static let evadeModel = "AML.T0015"
    /// ML Supply Chain Compromise: Model.
    public static let supplyChainModel = "AML.T0010.003"
    /// User Execution: Unsafe ML Artifacts (a model file that runs code when loaded).
    public static let unsafeMLArtifacts = "AML.T0011.000"
    /// Poison Training Data.
    public static let poisonTrainingData = "AML.T0020"
    /// Backdoor ML Model (a trigger planted through training data or weights).
    public static let backdoorModel = "AML.T0018"
    /// Backdoor ML Model: Poison ML Model (the backdoor is trained in from poisoned data).
    public static let poisonModel = "AML.T0018.000"
    /// Infer Training Data Membership.
    public static let membershipInference = "AML.T0024.000"
    /// Invert ML Model.
    public static let modelInversion = "AML.T0024.001"
    /// Extract ML Model.
    public static let extractModel = "AML.T0024.002"

    /// Human name of a technique id, for rendering.
    public static func name(of id: String) -> String {
        switch id {
        case craftAdversarialData: "Craft Adversarial Data"
        case whiteBoxOptimization: "Craft Adversarial Data: White-Box Optimization"
        case blackBoxOptimization: "Craft Adversarial Data: Black-Box Optimization"
        case evadeModel: "Evade ML Model"
        case supplyChainModel: "ML Supply Chain Compromise: Model"
        case unsafeMLArtifacts: "User Execution: Unsafe ML Artifacts"
        case poisonTrainingData: "Poison Training Data"
        case backdoorModel: "Backdoor ML Model"
        case poisonModel: "Backdoor ML Model: Poison ML Model"
        case membershipInference: "Exfiltration via ML Inference API: Infer Training Data Membership"
        case modelInversion: "Exfiltration via ML Inference API: Invert ML Model"
        case extractModel: "Exfiltration via ML Inference API: Extract ML Model"
        default: id
        }
    }

    /// The technique's page.
    public static func url(of id: String) -> String { "https://atlas.mitre.org/techniques/\(id)" }
}

/// OWASP Machine Learning Security Top 10 (2023) entries.
public enum OWASPML {
    /// Input Manipulation Attack (evasion).
    public static let inputManipulation = "ML01:2023"
    /// Data Poisoning Attack.
    public static let dataPoisoning = "ML02:2023"
    /// Model Inversion Attack.
    public static let modelInversion = "ML03:2023"
    /// Membership Inference Attack.
    public static let membershipInference = "ML04:2023"
    /// Model Theft (extraction).
    public static let modelTheft = "ML05:2023"
    /// AI Supply Chain Attacks.
    public static let supplyChain = "ML06:2023"
    /// Model Poisoning (the model's behaviour altered, e.g. a backdoor).
    public static let modelPoisoning = "ML10:2023"

    /// Human name of an entry, for rendering.
    public static func name(of id: String) -> String {
        switch id {
        case inputManipulation: "Input Manipulation Attack"
        case dataPoisoning: "Data Poisoning Attack"
        case modelInversion: "Model Inversion Attack"
        case membershipInference: "Membership Inference Attack"
        case modelTheft: "Model Theft"
        case supplyChain: "AI Supply Chain Attacks"
        case modelPoisoning: "Model Poisoning"
        default: id
        }
    }
}
