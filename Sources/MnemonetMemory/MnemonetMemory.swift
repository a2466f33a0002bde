// Placeholder so that the target builds; replaced by the module's first real file.
import MnemonetEngine
