import { Text } from "ink";

/** Props of {@link EnvironmentBanner}. */
export interface EnvironmentBannerProps {
  environment: string;
  width: number;
}

/** The persistent red banner of a protected (production) environment. */
export function EnvironmentBanner({ environment, width }: EnvironmentBannerProps) {
  const text = ` ${environment.toUpperCase()} · protected environment · every action is real: ` +
    `dangerous ones ask you to type the service name `;
  return (
    <Text backgroundColor="red" color="white" bold wrap="truncate-end">
      {text.padEnd(width).slice(0, width)}
    </Text>
  );
}
