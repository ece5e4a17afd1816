"""ART 1.20 side of extract-bench.sh: CopycatCNN and KnockoffNets (random) against the victim Bulwark
trained, its safetensors weights loaded into the same torch cnn (conv 1→32 3×3 pad 1, ReLU, maxpool 2,
conv 32→64, ReLU, maxpool 2, dense 3136→128, ReLU, dense 128→10) with a softmax so that the victim
answers probabilities, as Bulwark's query interface does. Same query set, same substitute architecture,
Adam 1e-3, the same batch size and epochs. Prints one JSON object: fidelity (agreement with the victim
on the test set), accuracy and the extract() wall time of each attack."""
import argparse, json, time

import numpy as np
import torch
from art.attacks.extraction import CopycatCNN, KnockoffNets
from art.estimators.classification import PyTorchClassifier
from safetensors.numpy import load_file

p = argparse.ArgumentParser()
p.add_argument("--work", required=True)
p.add_argument("--epochs", type=int, default=10)
p.add_argument("--batch", type=int, default=64)
p.add_argument("--threads", type=int, default=2)
p.add_argument("--seed", type=int, default=0)
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.set_num_interop_threads(1)
w = a.work
pool = np.load(f"{w}/pool.npy")
xt, yt = np.load(f"{w}/xt.npy"), np.load(f"{w}/yt.npy")


def cnn():
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 32, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(32, 64, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(3136, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))


def classifier(model):
    return PyTorchClassifier(model=model, loss=torch.nn.CrossEntropyLoss(), optimizer=torch.optim.Adam(model.parameters(), lr=1e-3),
                             input_shape=(1, 28, 28), nb_classes=10, clip_values=(0.0, 1.0))


victim_net = cnn()
victim_net.load_state_dict({k: torch.from_numpy(v) for k, v in load_file(f"{w}/victim.safetensors").items()})
victim_net = torch.nn.Sequential(victim_net, torch.nn.Softmax(dim=1)).eval()
victim = classifier(victim_net)
victim_labels = victim.predict(xt, batch_size=256).argmax(1)
result = {"victim_accuracy": float((victim_labels == yt).mean()), "queries": int(len(pool))}
attacks = {
    "copycat": lambda: CopycatCNN(victim, batch_size_fit=a.batch, batch_size_query=256, nb_epochs=a.epochs, nb_stolen=len(pool)),
    "knockoff": lambda: KnockoffNets(victim, batch_size_fit=a.batch, batch_size_query=256, nb_epochs=a.epochs, nb_stolen=len(pool),
                                     sampling_strategy="random", verbose=False, use_probability=True),
}
for name, make in attacks.items():
    torch.manual_seed(a.seed)
    np.random.seed(a.seed)
    thief = classifier(cnn())
    t = time.perf_counter()
    stolen = make().extract(pool, thieved_classifier=thief)
    seconds = time.perf_counter() - t
    labels = stolen.predict(xt, batch_size=256).argmax(1)
    result[name] = {"seconds": seconds, "fidelity": float((labels == victim_labels).mean()), "accuracy": float((labels == yt).mean())}
print(json.dumps(result))
