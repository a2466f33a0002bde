import MnemonetAgent
import MnemonetBase
import MnemonetEngine
import MnemonetMemory

// Exports of mnemonet.h, section "memory": adaptation of the memory controller (MetaLearner over the controller)
// and the agent's adapt. No logic: unpack, call.

/// `int32_t mn_controller_adapt(mn_controller *controller, mn_memory_bank *bank, const float *x, const float *y,
///  int64_t count, int64_t num_steps, float lr, mn_controller **adapted, double *losses, mn_status *status)`
@c(mn_controller_adapt)
public func mnControllerAdapt(_ h: UnsafeMutableRawPointer, _ bank: UnsafeMutableRawPointer,
                              _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ count: Int64, _ steps: Int64,
                              _ lr: Float, _ adapted: UnsafeMutablePointer<UnsafeMutableRawPointer?>,
                              _ losses: UnsafeMutablePointer<Double>, _ status: UnsafeMutableRawPointer) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        let result = try object(h, as: MemoryController.self).adapted(
            supportX: x, supportY: y, count: Int(count), memory: object(bank, as: NeuralMemoryBank.self),
            steps: Int(steps), learningRate: lr)
        for (k, l) in result.supportLosses.enumerated() { losses[k] = l }
        adapted.pointee = retainHandle(result.controller)
    }
}

/// `int32_t mn_controller_mean_loss(mn_controller *controller, mn_memory_bank *bank, const float *x, const float *y,
///  int64_t count, double *loss, mn_status *status)`
@c(mn_controller_mean_loss)
public func mnControllerMeanLoss(_ h: UnsafeMutableRawPointer, _ bank: UnsafeMutableRawPointer,
                                 _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ count: Int64,
                                 _ loss: UnsafeMutablePointer<Double>, _ status: UnsafeMutableRawPointer) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        loss.pointee = try object(h, as: MemoryController.self).meanLoss(
            x: x, y: y, count: Int(count), memory: object(bank, as: NeuralMemoryBank.self))
    }
}

/// `int32_t mn_controller_meta_gradient(mn_controller *controller, mn_memory_bank *bank, const float *support_x,
///  const float *support_y, int64_t support_count, const float *query_x, const float *query_y, int64_t query_count,
///  int64_t num_steps, float lr, int32_t first_order, float *gradient, double *query_loss, mn_status *status)`
@c(mn_controller_meta_gradient)
public func mnControllerMetaGradient(_ h: UnsafeMutableRawPointer, _ bank: UnsafeMutableRawPointer,
                                     _ sx: UnsafePointer<Float>, _ sy: UnsafePointer<Float>, _ ns: Int64,
                                     _ qx: UnsafePointer<Float>, _ qy: UnsafePointer<Float>, _ nq: Int64,
                                     _ steps: Int64, _ lr: Float, _ firstOrder: Int32,
                                     _ gradient: UnsafeMutablePointer<Float>, _ queryLoss: UnsafeMutablePointer<Double>,
                                     _ status: UnsafeMutableRawPointer) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        let result = try ControllerMAML.metaGradient(
            controller: object(h, as: MemoryController.self), memory: object(bank, as: NeuralMemoryBank.self),
            supportX: sx, supportY: sy, supportCount: Int(ns), queryX: qx, queryY: qy, queryCount: Int(nq),
            steps: Int(steps), learningRate: lr, firstOrder: firstOrder != 0)
        var k = 0
        for g in result.gradients {
            (gradient + k).update(from: g.pointer, count: g.count)
            k += g.count
        }
        queryLoss.pointee = result.queryLoss
    }
}

/// `int32_t mn_agent_adapt(mn_agent *agent, const float *x, const float *y, int64_t count, int64_t num_steps,
///  float lr, double *losses, mn_status *status)`
@c(mn_agent_adapt)
public func mnAgentAdapt(_ h: UnsafeMutableRawPointer, _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>,
                         _ count: Int64, _ steps: Int64, _ lr: Float, _ losses: UnsafeMutablePointer<Double>,
                         _ status: UnsafeMutableRawPointer) -> Int32 {
    withStatus(status) { () throws(MnemonetError) in
        let result = try seedAgent(h, "adapt").adapt(
            x: x, y: y, count: Int(count), steps: Int(steps), learningRate: lr)
        for (k, l) in result.enumerated() { losses[k] = l }
    }
}
