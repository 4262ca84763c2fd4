"""What am I looking at? A few sentences for students under each chart and picture: what it
shows, and what healthy and unhealthy look like. Keyed by the view's name; the page shows each
one folded under its chart, and a new view is one more entry."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Explanation:
    shows: str
    healthy: str
    unhealthy: str

    def markdown(self) -> str:
        return f"{self.shows}\n\n**Healthy:** {self.healthy}\n\n**Trouble:** {self.unhealthy}"


EXPLANATIONS: dict[str, Explanation] = {
    "plane": Explanation(
        "The 2-D lab's plane: real points (green), G's points (purple), D's verdict at every place as "
        "colour (green: real, purple: fake) with the dotted line where D cannot tell, orange arrows "
        "showing where G's loss pushes each of its points (D's gradient), and the grey mesh: where G "
        "sends a grid of noise z. Point at the plane to read D's score there.",
        "the purple points spread over every cluster of green ones and the colours fade towards white.",
        "the purple points pile onto one or two clusters and jump between them (mode collapse), or the "
        "arrows shrink to nothing far from the data (G gets no signal)."),
    "modes": Explanation(
        "The 2-D lab's quality check, every 100 steps on 2,500 of G's points, for a mixture of Gaussians "
        "(the ring, the grid): the share of its modes G covers (a mode counts when at least 0.8% of the "
        "points lie within 3σ of it) and the share of G's points within 3σ of some mode.",
        "both rise: every mode covered, and more and more of the points on the data.",
        "modes covered stays low (one or two of eight) while the points hop from mode to mode: mode collapse."),
    "grid": Explanation(
        "100 samples from the generator G, always from the same 100 noise vectors z, so you watch the "
        "same samples change as G learns. For a conditional model, column d is asked for digit d.",
        "noise turns into blobs, then strokes, then digits of every kind.",
        "every sample looks alike (mode collapse), or the grid stops changing (G gets no useful signal)."),
    "losses": Explanation(
        "How well each network does at its own task. D's loss is low when it tells real from "
        "generated; G's loss is low when it fools D. They pull against each other, so neither "
        "should fall steadily to zero.",
        "both wobble around a level, without trend.",
        "D's loss near 0 while G's climbs (D has won); a sudden jump or NaN (the run diverged)."),
    "scores": Explanation(
        "D's average verdict: D(x) on real digits and D(G(z)) on generated ones, as probabilities of "
        "being real (for WGAN losses, open-ended critic scores where only the gap counts).",
        "both drift towards the middle (about 0.5): D can no longer tell them apart easily.",
        "D(x) near 1 and D(G(z)) near 0 for a long time: D wins and G's gradients vanish."),
    "grads": Explanation(
        "How big each update is: the length of the gradient of each network's loss (log scale).",
        "both stay within a decade or two of where they started.",
        "G's norm falling by many decades (vanishing gradients) or either shooting up (instability)."),
    "quality": Explanation(
        "Measured every 250 steps on 500 samples. FID compares a classifier's view of samples and real "
        "digits: lower is better. IS is high when samples are both confidently readable and of every "
        "digit (at most 10). The dotted lines are what 500 real digits themselves score.",
        "FID falls towards its dotted line, IS rises towards its own.",
        "FID stalls high, or climbs again after falling (often mode collapse)."),
    "digits": Explanation(
        "Which digits the samples are, as a classifier trained on MNIST reads them.",
        "every bar near the 10% line.",
        "a few tall bars and missing digits: G draws only what fools D best (mode collapse)."),
    "spectrum": Explanation(
        "How much fine detail the samples hold: power at each spatial frequency, generated against "
        "real digits (dotted), measured with the quality check (left: broad shapes, right: fine detail "
        "and noise). At step 0 the generated curve lies far below: G draws nearly flat grey.",
        "the two curves meet, also at the right.",
        "a gap at the right: the generated curve above (grainy noise, checkerboard artefacts) or below "
        "(blurry strokes)."),
    "tsne": Explanation(
        "Each sample placed so that similar images sit close together (t-SNE keeps neighbours, not "
        "distances). As dots: the colour is the digit, an x a real MNIST digit. As pictures: each sample "
        "drawn as itself, framed in its digit's colour; real digits framed white.",
        "generated samples spread over every cluster, mixed with real digits.",
        "generated samples bunched in a few clusters or off on their own, away from the real digits."),
}
