// Manifests the e2e suites share.

/** A busybox httpd Deployment answering `text` on port 8080. */
export const WEB = (replicas: number, text = 'v1') => `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: ${replicas}
  selector:
    matchLabels: { app: web }
  template:
    metadata:
      labels: { app: web }
    spec:
      containers:
        - name: httpd
          image: busybox:latest
          imagePullPolicy: IfNotPresent
          command: ["sh", "-c", "mkdir -p /www && echo ${text} > /www/index.html && exec httpd -f -p 8080 -h /www"]
          ports: [{ containerPort: 8080 }]
          resources:
            limits: { cpu: 250m, memory: 64Mi }
`;
