/**
 * The device the examples and `npm start` use: `iotda-sim` with no devices file serves it, so a
 * palette user can run an imported example without the repository. Emulator-only credentials.
 */
import type { DeviceSpec } from './device-registry';

export const DEMO_DEVICE: Readonly<Required<Pick<DeviceSpec, 'deviceId' | 'secret' | 'productId' | 'services'>>> = Object.freeze({
  deviceId: 'demo_product_dev01',
  secret: 'demo-secret-0001',
  productId: 'demo_product',
  services: ['stm32'],
});
